"""The companion notebooks' cells, in order, as data (notebooks/generate.py writes them).

One entry per notebook of the book's chapter 3 (d2l-zh, MXNet edition). Headings are the book's
subsection titles with an English gloss after ' — '; the prose is ch3's own. Cell kinds:
    md(text)            markdown
    code(text)          code
    parameters(text)    the code cell tagged `parameters` (papermill's convention; tests insert a
                        cell after it that overrides these values)
    source('m:name')    the source of a book-layer function (inspect.getsource), so the notebook
                        shows exactly what `import ch3 as d2l` runs
    book(output, note)  the book's recorded output of the cell above, and why ours differs
"""


def md(text):
    return ('md', text)


def code(text):
    return ('code', text)


def parameters(text):
    return ('parameters', text)


def source(ref):
    return ('source', ref)


def book(output, note=''):
    return ('book', output, note)


# The first cell after the parameters: seed 0 is MXNet's state when a process starts (the state the
# book's notebooks ran from), so the data the book printed come out the same; a shortened run says
# so before any number is set beside the book's.
def start(settings):
    shown = ', '.join('%s = %%r' % name for name in settings)
    return code("d2l.set_seed(seed)   # 0：MXNet 进程启动时的状态，书中的数据正是由此生成\n"
                "if short_run:\n"
                "    print('缩短运行（short run）：%s；下面的数字不能与书中的比较。' %% (%s,))"
                % (shown, ', '.join(settings)))


FASHION_NOTE = (
    '差异（differences）：ch3 读的是 Debian 软件包里的 Fashion-MNIST（Zalando 的原始顺序，'
    '第一个训练标签是 9），书用的是 Gluon 下载的副本（第一个标签是 2），两者样本顺序不同；'
    '随机种子也不同（书未设种子）。所以逐轮数字略有出入。')
SOFTMAX_GAP = (
    '测试准确率（test acc）比书低约 1.3–1.4 个百分点：d2lzh 自己的代码在同一份 Debian 数据上也低这么多，'
    '所以差距不是 ch3 的代码造成的。数据副本是测到的一个不同之处；它能否解释全部差距没有测过'
    '（本机不能下载 Gluon 的副本）。')
MLP_NOTE = FASHION_NOTE + (' 多层感知机（MLP）最后一轮的测试准确率与书相差不到 2 个百分点；'
                            '逐轮的测试准确率本身就上下波动约 1 个百分点。')


NOTEBOOKS = []


def notebook(section, slug, book_name, cells):
    NOTEBOOKS.append({'section': section, 'file': 'sec3_%02d_%s.ipynb' % (
        int(section.split('.')[1]), slug), 'book': book_name + '.ipynb', 'cells': cells})


# --- 3.1 ----------------------------------------------------------------------------------------

notebook('3.1', 'linear_regression', 'linear-regression', [
    md('''# 3.1 线性回归 — Linear regression

线性回归（linear regression）用特征的线性组合预测一个连续值。本节是理论，只有最后一段有代码：
矢量计算（vectorization）比逐元素循环快得多。'''),
    code('''import ch3 as d2l
from mxnet import nd
from time import time'''),
    parameters('''n = 1000           # 向量长度（vector length），书中为 1000
seed = 0
short_run = False'''),
    start(['n']),
    md('''## 线性回归的基本要素 — The basic elements of linear regression

以房价为例：价格 $\\hat{y}$ 由面积 $x_1$ 和房龄 $x_2$ 决定。'''),
    md('''### 模型 — Model

$\\hat{y} = x_1 w_1 + x_2 w_2 + b$：权重（weight）$w_1, w_2$ 和偏差（bias）$b$ 是模型参数（parameters）。'''),
    md('''### 模型训练 — Training the model

训练就是找出使预测误差最小的参数。'''),
    md('''#### 训练数据 — Training data

训练数据集（training set）里的每一栋房子是一个样本（example），真实价格是标签（label），
面积和房龄是特征（features）。'''),
    md('''#### 损失函数 — Loss function

平方损失（squared loss）$\\ell^{(i)} = \\frac{1}{2}(\\hat{y}^{(i)} - y^{(i)})^2$，训练集上取平均。'''),
    md('''#### 优化算法 — Optimization algorithm

小批量随机梯度下降（minibatch stochastic gradient descent, SGD）：每次取一个小批量 $\\mathcal{B}$，
沿平均损失的负梯度走一步，步长是学习率（learning rate）$\\eta$：
$(w, b) \\leftarrow (w, b) - \\frac{\\eta}{|\\mathcal{B}|}\\sum_{i\\in\\mathcal{B}} \\nabla \\ell^{(i)}(w, b)$。
批量大小和学习率是超参数（hyperparameters）。'''),
    md('''### 模型预测 — Prediction

训练好的 $w, b$ 用来预测训练集之外的房价，即推断（inference）。'''),
    md('''## 线性回归的表示方法 — Representations of linear regression'''),
    md('''### 神经网络图 — Neural network diagram

线性回归是只有一层的神经网络：输入层两个单元，输出层一个单元，是全连接层（fully-connected layer，dense layer）。'''),
    md('''### 矢量计算表达式 — Vectorized expressions

一个小批量写成矩阵 $\\boldsymbol{X}$（n×d）时，$\\hat{\\boldsymbol{y}} = \\boldsymbol{X}\\boldsymbol{w} + b$
一次算完。先比较两个长度为 n 的向量相加：逐元素（element-wise）循环，与一次矢量加法。'''),
    code('''a = nd.ones(shape=n)
b = nd.ones(shape=n)'''),
    code('''start = time()
c = nd.zeros(shape=n)
for i in range(n):   # 逐个标量相加
    c[i] = a[i] + b[i]
time() - start'''),
    book('0.14845681190490723', '计时取决于机器（timings depend on the machine）；两行之比才有意义。'),
    code('''start = time()
d = a + b            # 一次矢量加法
time() - start'''),
    book('0.0002002716064453125'),
    md('''广播（broadcasting）：向量加标量时，标量加到每个元素上。'''),
    code('''a = nd.ones(shape=3)
b = 10
a + b'''),
    book('[11. 11. 11.]\n<NDArray 3 @cpu(0)>'),
    md('''## 小结 — Summary

- 线性回归 = 线性模型 + 平方损失，用小批量 SGD 训练。
- 它是单层全连接网络。
- 能矢量计算就不要写 Python 循环。'''),
])


# --- 3.2 ----------------------------------------------------------------------------------------

notebook('3.2', 'linear_regression_scratch', 'linear-regression-scratch', [
    md('''# 3.2 线性回归的从零开始实现 — Linear regression from scratch

只用 `NDArray` 和 `autograd` 实现 3.1 的模型、损失和小批量 SGD。下面展示的函数就是
`import ch3 as d2l` 里的那几个（源码直接取自 `ch3/book/`）。'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import autograd, nd
import random'''),
    parameters('''num_epochs = 3     # 迭代周期数（epochs）
lr = 0.03          # 学习率（learning rate）
batch_size = 10
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 生成数据集 — Generating the data set

1000 个样本，特征服从标准正态分布，标签
$y = \\boldsymbol{X}\\boldsymbol{w} + b + \\epsilon$，真实参数 $w = [2, -3.4]^\\top$、$b = 4.2$，
噪声 $\\epsilon \\sim N(0, 0.01^2)$。'''),
    code('''num_inputs = 2
num_examples = 1000
true_w = [2, -3.4]
true_b = 4.2
features = nd.random.normal(scale=1, shape=(num_examples, num_inputs))
labels = true_w[0] * features[:, 0] + true_w[1] * features[:, 1] + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)'''),
    code('''features[0], labels[0]'''),
    book('(\n [2.2122064 0.7740038]\n <NDArray 2 @cpu(0)>, \n [6.000587]\n <NDArray 1 @cpu(0)>)',
         '完全相同（identical）：种子 0 就是 MXNet 进程启动时的随机状态，书的数据由此生成。'),
    md('''第二个特征与标签的散点图（scatter plot）：近似线性关系。'''),
    code('''d2l.set_figsize()
d2l.plt.scatter(features[:, 1].asnumpy(), labels.asnumpy(), 1);'''),
    md('''## 读取数据 — Reading the data

`data_iter` 每次打乱样本顺序，返回 `batch_size` 个样本的特征和标签（最后一批可能较小）。'''),
    source('ch3:data_iter'),
    code('''for X, y in data_iter(batch_size, features, labels):
    print(X, y)
    break'''),
    book('''[[ 2.6056926   0.58565795]
 [ 0.39822668  1.015803  ]
 [-0.09322714  2.28601   ]
 [ 0.42282835  0.22813949]
 [-0.87284005  0.13884856]
 [ 1.7203581  -1.6773723 ]
 [ 1.4569732   2.115476  ]
 [ 0.51380765  1.4481224 ]
 [ 0.167845    1.0191584 ]
 [-0.8624608  -0.4348689 ]]
<NDArray 10x2 @cpu(0)>
[ 7.4225383   1.5623367  -3.7693658   4.2868342   1.9889501  13.343663
 -0.08125029  0.29919574  1.0813215   3.9542494 ]
<NDArray 10 @cpu(0)>''',
         '抽到的样本不同：顺序由 Python 的 `random.shuffle` 决定，书没有设种子，ch3 设为 0。'),
    md('''## 初始化模型参数 — Initializing the model parameters

权重取自 $N(0, 0.01^2)$，偏差为 0；`attach_grad` 为它们申请梯度（gradient）的内存。'''),
    code('''w = nd.random.normal(scale=0.01, shape=(num_inputs, 1))
b = nd.zeros(shape=(1,))
w.attach_grad()
b.attach_grad()'''),
    md('''## 定义模型 — Defining the model

矢量形式 $\\boldsymbol{X}\\boldsymbol{w} + b$（`nd.dot` 做矩阵乘法，$b$ 被广播）。'''),
    source('ch3:linreg'),
    md('''## 定义损失函数 — Defining the loss function

平方损失；先把 `y` 变成 `y_hat` 的形状。'''),
    source('ch3:squared_loss'),
    md('''## 定义优化算法 — Defining the optimization algorithm

小批量 SGD：梯度是一个批量的损失之和的梯度，所以除以 `batch_size`。'''),
    source('ch3:sgd'),
    md('''## 训练模型 — Training the model

每个迭代周期（epoch）把训练数据读一遍：对每个小批量前向计算损失、`backward` 求梯度、`sgd` 更新参数。'''),
    code('''net = linreg
loss = squared_loss

for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        with autograd.record():
            l = loss(net(X, w, b), y)   # 小批量上的损失，形状 (batch_size, 1)
        l.backward()                    # 对 l 的元素之和求梯度
        sgd([w, b], lr, batch_size)
    train_l = loss(net(features, w, b), labels)
    print('epoch %d, loss %f' % (epoch + 1, train_l.mean().asnumpy()))'''),
    book('epoch 1, loss 0.040678\nepoch 2, loss 0.000152\nepoch 3, loss 0.000051',
         '小批量的顺序不同（见上），逐轮损失因此略有不同；三轮后都约为 5e-5（噪声方差的一半）。'),
    code('''true_w, w'''),
    book('([2, -3.4], \n [[ 1.9997706]\n  [-3.3998365]]\n <NDArray 2x1 @cpu(0)>)'),
    code('''true_b, b'''),
    book('(4.2, \n [4.1994095]\n <NDArray 1 @cpu(0)>)'),
    md('''## 小结 — Summary

- 只用 `NDArray` 和 `autograd` 就能写出模型、损失和优化算法。
- 学到的参数与真实参数非常接近。'''),
])


# --- 3.3 ----------------------------------------------------------------------------------------

notebook('3.3', 'linear_regression_gluon', 'linear-regression-gluon', [
    md('''# 3.3 线性回归的简洁实现 — Concise implementation of linear regression

同一个模型，用 Gluon 的数据读取（`gluon.data`）、层（`nn.Dense`）、初始化（`init`）、
损失（`gluon.loss`）和 `Trainer` 来写。'''),
    code('''import ch3 as d2l
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn'''),
    parameters('''num_epochs = 3
lr = 0.03
batch_size = 10
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 生成数据集 — Generating the data set

与 3.2 相同的数据（同一种子，所以是同样的 1000 个样本）。'''),
    code('''num_inputs = 2
num_examples = 1000
true_w = [2, -3.4]
true_b = 4.2
features = nd.random.normal(scale=1, shape=(num_examples, num_inputs))
labels = true_w[0] * features[:, 0] + true_w[1] * features[:, 1] + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)'''),
    md('''## 读取数据 — Reading the data

`ArrayDataset` 把特征和标签配对，`DataLoader` 随机读取小批量。'''),
    code('''dataset = gdata.ArrayDataset(features, labels)
data_iter = gdata.DataLoader(dataset, batch_size, shuffle=True)'''),
    code('''for X, y in data_iter:
    print(X, y)
    break'''),
    book('''[[-0.8851041  -1.044071  ]
 [-0.591276   -1.2689118 ]
 [-0.27408606  0.2229926 ]
 [ 2.3101764   0.24071898]
 [ 0.31445166 -0.3114319 ]
 [ 0.42236066  0.3603097 ]
 [-0.10980018 -0.43571743]
 [-1.0114343   2.112768  ]
 [ 0.78592336  0.5631818 ]
 [-0.6434393   0.39862037]]
<NDArray 10x2 @cpu(0)>
[ 5.97232    7.325372   2.8890834  8.0141945  5.881366   3.815177
  5.450973  -4.9972386  3.8620536  1.5484271]
<NDArray 10 @cpu(0)>''', '`DataLoader` 用 numpy 的随机数打乱顺序；书没有设种子，ch3 设为 0，所以抽到的样本不同。'),
    md('''## 定义模型 — Defining the model

`nn.Sequential` 是层的容器；线性回归只有一个输出为 1 的全连接层 `nn.Dense(1)`，输入个数由第一次前向计算推断。'''),
    code('''net = nn.Sequential()
net.add(nn.Dense(1))'''),
    md('''## 初始化模型参数 — Initializing the model parameters

权重取自 $N(0, 0.01^2)$（`init.Normal(sigma=0.01)`），偏差默认为 0。'''),
    code('''net.initialize(init.Normal(sigma=0.01))'''),
    md('''## 定义损失函数 — Defining the loss function

平方损失在 Gluon 里叫 `L2Loss`（L2 范数损失）。'''),
    code('''loss = gloss.L2Loss()'''),
    md('''## 定义优化算法 — Defining the optimization algorithm

`Trainer` 用 `'sgd'` 更新 `net` 的全部参数。'''),
    code('''trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})'''),
    md('''## 训练模型 — Training the model

`trainer.step(batch_size)` 做一次更新（梯度除以批量大小）。'''),
    code('''for epoch in range(1, num_epochs + 1):
    for X, y in data_iter:
        with autograd.record():
            l = loss(net(X), y)
        l.backward()
        trainer.step(batch_size)
    l = loss(net(features), labels)
    print('epoch %d, loss: %f' % (epoch, l.mean().asnumpy()))'''),
    book('epoch 1, loss: 0.040749\nepoch 2, loss: 0.000158\nepoch 3, loss: 0.000050',
         '小批量顺序不同，逐轮数字略有出入。'),
    code('''dense = net[0]
true_w, dense.weight.data()'''),
    book('([2, -3.4], \n [[ 1.9998881 -3.399974 ]]\n <NDArray 1x2 @cpu(0)>)'),
    code('''true_b, dense.bias.data()'''),
    book('(4.2, \n [4.1996565]\n <NDArray 1 @cpu(0)>)'),
    md('''## 小结 — Summary

- Gluon 提供数据读取、层、初始化、损失和优化器，模型几行就能写完。
- `Dense` 的权重形状是（输出个数, 输入个数），所以这里是 1×2。'''),
])


# --- 3.4 ----------------------------------------------------------------------------------------

notebook('3.4', 'softmax_regression', 'softmax-regression', [
    md('''# 3.4 Softmax 回归 — Softmax regression

书中本节是理论，没有代码。下面用 ch3 的 `ch3.book.softmax` 把公式算给你看。'''),
    code('''import ch3 as d2l
from mxnet import nd
from ch3.book import softmax'''),
    parameters('''seed = 0
short_run = False'''),
    start(['seed']),
    md('''## 分类问题 — Classification problems

输出是离散的类别（category），例如 2×2 像素的图片分成猫、狗、鸡三类；标签常写成独热向量（one-hot vector）。'''),
    md('''## Softmax 回归模型 — The softmax regression model

每个类别一个输出：$o_j = \\boldsymbol{x}\\boldsymbol{w}_j + b_j$，也是单层全连接网络。'''),
    md('''### Softmax 运算 — The softmax operation

$\\hat{y}_j = \\exp(o_j) / \\sum_k \\exp(o_k)$：把输出变成和为 1 的正数（概率分布），且不改变最大值的位置。'''),
    code('''o = nd.array([[0.1, 10, 0.1]])
y_hat = softmax.softmax(o)
y_hat, y_hat.sum(axis=1), y_hat.argmax(axis=1)'''),
    md('''`exp` 在 float32 里超过 $e^{88.7}$ 就溢出（overflow）成 `inf`；先减去每行的最大值结果不变，
却不会溢出（`stable_softmax`）。'''),
    code('''big = nd.array([[1, 2, 100]])
softmax.softmax(big), softmax.stable_softmax(big)'''),
    md('''## 单样本分类的矢量计算表达式 — Vectorized expression for one example

$\\boldsymbol{o} = \\boldsymbol{x}\\boldsymbol{W} + \\boldsymbol{b}$，$\\boldsymbol{x}$ 为 1×d，$\\boldsymbol{W}$ 为 d×q。'''),
    md('''## 小批量样本分类的矢量计算表达式 — Vectorized expression for a minibatch

$\\boldsymbol{O} = \\boldsymbol{X}\\boldsymbol{W} + \\boldsymbol{b}$（n×q，$\\boldsymbol{b}$ 广播），再对每一行做 softmax。'''),
    code('''X = nd.random.normal(shape=(4, 3))   # 4 个样本，3 个特征
W = nd.random.normal(scale=0.01, shape=(3, 5))
b = nd.zeros(5)
Y_hat = softmax.softmax(nd.dot(X, W) + b)
Y_hat.shape, Y_hat.sum(axis=1)'''),
    md('''## 交叉熵损失函数 — The cross-entropy loss function

交叉熵（cross entropy）$H(\\boldsymbol{y}, \\hat{\\boldsymbol{y}}) = -\\sum_j y_j \\log \\hat{y}_j$；
标签是独热向量时只剩 $-\\log \\hat{y}_{y}$，即真实类别的预测概率取负对数。最小化它等价于最大化训练数据的似然。'''),
    code('''y_hat = nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
y = nd.array([0, 2], dtype='int32')
softmax.cross_entropy(y_hat, y), -nd.log(nd.array([0.1, 0.5]))'''),
    md('''交叉熵 = 熵（entropy）+ KL 散度（KL divergence）：$H(p, q) = H(p) + \\mathrm{KL}(p\\,\\|\\,q)$。'''),
    code('''p = nd.array([0.7, 0.2, 0.1])
q = nd.array([0.5, 0.3, 0.2])
(softmax.distribution_cross_entropy(p, q),
 softmax.entropy(p) + softmax.kl_divergence(p, q))'''),
    md('''## 模型预测及评价 — Prediction and evaluation

预测概率最大的类别；准确率（accuracy）是预测正确的比例。'''),
    code('''softmax.accuracy(y_hat, y)   # 第一行预测 2（真实 0），第二行预测 2（真实 2）'''),
    md('''## 小结 — Summary

- softmax 把输出变成类别上的概率分布，适合分类。
- 交叉熵只关心真实类别的预测概率。
- 用准确率评价分类模型。'''),
])


# --- 3.5 ----------------------------------------------------------------------------------------

notebook('3.5', 'fashion_mnist', 'fashion-mnist', [
    md('''# 3.5 图像分类数据集（Fashion-MNIST） — The image classification data set

Fashion-MNIST：10 类服饰的 28×28 灰度图，训练集 60000 张、测试集 10000 张。'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet.gluon import data as gdata
import time
from ch3.book import fashion_mnist'''),
    parameters('''batch_size = 256
num_workers = 0    # 书在 Linux 上用 4 个进程读取；这台机器只有 2 个核，ch3 在本进程内读取
seed = 0
short_run = False'''),
    start(['batch_size']),
    md('''## 获取数据集 — Getting the data set

书用 `gdata.vision.FashionMNIST` 下载数据。ch3 不联网：`fashion_mnist.FashionMNISTArrays` 是同样的 Gluon
数据集（样本相同的形状和类型），读的是本机的副本（Debian 的 `/usr/share/datasets/fashion-mnist`）。'''),
    code('''mnist_train = fashion_mnist.FashionMNISTArrays(train=True)
mnist_test = fashion_mnist.FashionMNISTArrays(train=False)'''),
    code('''len(mnist_train), len(mnist_test)'''),
    book('(60000, 10000)'),
    code('''feature, label = mnist_train[0]'''),
    code('''feature.shape, feature.dtype'''),
    book('((28, 28, 1), numpy.uint8)'),
    code('''label, type(label), label.dtype'''),
    book("(2, numpy.int32, dtype('int32'))",
         '第一个标签不同：Debian 的副本是 Zalando 发布的原始顺序（第一张是 9，ankle boot），'
         '书用的 Gluon 下载副本第一张是 2（pullover）。类型相同。'),
    md('''数字标签对应的文本标签（text labels）：'''),
    source('ch3:get_fashion_mnist_labels'),
    md('''`show_fashion_mnist` 把图像和标签画成一行：'''),
    source('ch3:show_fashion_mnist'),
    md('''训练集前 9 张图和它们的标签：'''),
    code('''X, y = mnist_train[0:9]
show_fashion_mnist(X, get_fashion_mnist_labels(y))'''),
    md('''## 读取小批量 — Reading minibatches

`ToTensor` 把图像从 (28, 28, 1) 的 uint8 变成 (1, 28, 28) 的 float32 并除以 255；
`transform_first` 只变换图像不变换标签；`DataLoader` 打乱训练集并分批。'''),
    code('''transformer = gdata.vision.transforms.ToTensor()
train_iter = gdata.DataLoader(mnist_train.transform_first(transformer),
                              batch_size, shuffle=True, num_workers=num_workers)
test_iter = gdata.DataLoader(mnist_test.transform_first(transformer),
                             batch_size, shuffle=False, num_workers=num_workers)'''),
    md('''读完一遍训练数据所需的时间：'''),
    code('''start = time.time()
for X, y in train_iter:
    continue
'%.2f sec' % (time.time() - start)'''),
    book("'1.22 sec'", '书用 4 个读取进程，在另一台机器上；计时取决于机器。'),
    md('''之后各节用的 `d2l.load_data_fashion_mnist(batch_size)` 给出同样的小批量（形状、类型、数值相同），
但一次转换整个数据集再按批取出，所以快得多：'''),
    code('''train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
start = time.time()
for X, y in train_iter:
    continue
X.shape, X.dtype, y.dtype, '%.2f sec' % (time.time() - start)'''),
    md('''## 小结 — Summary

- Fashion-MNIST 有 10 个类别，图像为 28×28。
- Gluon 的 `DataLoader` 配合 `ToTensor` 读取小批量；`d2l.load_data_fashion_mnist` 把这些步骤包在一起。'''),
])


# --- 3.6 ----------------------------------------------------------------------------------------

notebook('3.6', 'softmax_regression_scratch', 'softmax-regression-scratch', [
    md('''# 3.6 Softmax回归的从零开始实现 — Softmax regression from scratch

在 Fashion-MNIST 上从零实现 3.4 的 softmax 回归。'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import autograd, nd'''),
    parameters('''num_epochs = 5
lr = 0.1
batch_size = 256
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 获取和读取数据 — Getting and reading the data'''),
    code('''train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)'''),
    md('''## 初始化模型参数 — Initializing the model parameters

每张图展平成 784 维向量；10 个类别，所以 $W$ 是 784×10，$b$ 是 1×10。'''),
    code('''num_inputs = 784
num_outputs = 10

W = nd.random.normal(scale=0.01, shape=(num_inputs, num_outputs))
b = nd.zeros(num_outputs)
W.attach_grad()
b.attach_grad()'''),
    md('''## 实现Softmax运算 — Implementing the softmax operation

先看按维度求和：`axis=0` 对同一列求和，`axis=1` 对同一行求和；`keepdims=True` 保留被求和的维度。'''),
    code('''X = nd.array([[1, 2, 3], [4, 5, 6]])
X.sum(axis=0, keepdims=True), X.sum(axis=1, keepdims=True)'''),
    book('(\n [[5. 7. 9.]]\n <NDArray 1x3 @cpu(0)>, \n [[ 6.]\n  [15.]]\n <NDArray 2x1 @cpu(0)>)'),
    md('''softmax：每个元素取指数，再除以所在行的和（广播）。'''),
    source('ch3.book.softmax:softmax'),
    code('''X = nd.random.normal(shape=(2, 5))
X_prob = softmax(X)
X_prob, X_prob.sum(axis=1)'''),
    book('(\n [[0.21324193 0.33961776 0.1239742  0.27106097 0.05210521]\n'
         '  [0.11462264 0.3461234  0.19401033 0.29583326 0.04941036]]\n <NDArray 2x5 @cpu(0)>, \n'
         ' [1.0000001 1.       ]\n <NDArray 2 @cpu(0)>)',
         '完全相同（identical）：种子 0 即 MXNet 进程启动时的状态，书和这里都先抽 $W$ 再抽这个矩阵。'),
    md('''## 定义模型 — Defining the model

`reshape` 把每张图变成一行，再做矩阵乘法加偏差、取 softmax。ch3 的 `net` 把参数 `W, b` 作为参数传入。'''),
    source('ch3.book.softmax:net'),
    md('''## 定义损失函数 — Defining the loss function

`nd.pick` 取出每个样本真实类别的预测概率：'''),
    code('''y_hat = nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
y = nd.array([0, 2], dtype='int32')
nd.pick(y_hat, y)'''),
    book('[0.1 0.5]\n<NDArray 2 @cpu(0)>'),
    source('ch3.book.softmax:cross_entropy'),
    md('''## 计算分类准确率 — Classification accuracy

预测类别是每行最大值的下标（`argmax`），与标签比较后取平均。'''),
    source('ch3.book.softmax:accuracy'),
    code('''accuracy(y_hat, y)'''),
    book('0.5'),
    md('''在整个数据集上评价模型的准确率：'''),
    source('ch3:evaluate_accuracy'),
    md('''随机初始化的模型接近随机猜（10 类，约 0.1）：'''),
    code('''evaluate_accuracy(test_iter, lambda X: net(X, W, b))'''),
    book('0.0925', '$W$ 与书中的相同（上面的随机矩阵与书一致，说明随机流的位置相同），'
         '准确率与样本顺序无关，所以差别来自测试集的内容：Debian 的副本与书下载的副本不是同一份数据。'),
    md('''## 训练模型 — Training the model

`train_ch3` 是之后几节共用的训练循环：对每个小批量前向、求梯度、更新（`sgd` 或 Gluon 的 `trainer`），
每个迭代周期打印训练损失、训练准确率和测试准确率。'''),
    source('ch3:train_ch3'),
    code('''train_ch3(lambda X: net(X, W, b), train_iter, test_iter, cross_entropy, num_epochs,
          batch_size, [W, b], lr)'''),
    book('epoch 1, loss 0.7896, train acc 0.745, test acc 0.803\n'
         'epoch 2, loss 0.5728, train acc 0.812, test acc 0.818\n'
         'epoch 3, loss 0.5296, train acc 0.824, test acc 0.833\n'
         'epoch 4, loss 0.5057, train acc 0.829, test acc 0.832\n'
         'epoch 5, loss 0.4895, train acc 0.835, test acc 0.840',
         FASHION_NOTE + ' ' + SOFTMAX_GAP),
    md('''## 预测 — Prediction

测试集前 9 张图：第一行是真实标签，第二行是预测标签。'''),
    code('''for X, y in test_iter:
    break

true_labels = d2l.get_fashion_mnist_labels(y.asnumpy())
pred_labels = d2l.get_fashion_mnist_labels(net(X, W, b).argmax(axis=1).asnumpy())
titles = [true + '\\n' + pred for true, pred in zip(true_labels, pred_labels)]

d2l.show_fashion_mnist(X[0:9], titles[0:9])'''),
    md('''## 小结 — Summary

- softmax 回归可以用于多类分类；训练方法与线性回归相同：读数据、定义模型和损失、用优化算法训练。
- 大多数深度学习模型的训练都是这几步。'''),
])


# --- 3.7 ----------------------------------------------------------------------------------------

notebook('3.7', 'softmax_regression_gluon', 'softmax-regression-gluon', [
    md('''# 3.7 Softmax 回归的简洁实现 — Concise implementation of softmax regression'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn'''),
    parameters('''num_epochs = 5
lr = 0.1
batch_size = 256
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 获取和读取数据 — Getting and reading the data'''),
    code('''train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)'''),
    md('''## 定义和初始化模型 — Defining and initializing the model

一个输出为 10 的全连接层；`Dense` 会把 (批量, 1, 28, 28) 的输入展平。'''),
    code('''net = nn.Sequential()
net.add(nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))'''),
    md('''## Softmax 和交叉熵损失函数 — Softmax and the cross-entropy loss

`SoftmaxCrossEntropyLoss` 把 softmax 和交叉熵合成一步，直接从输出（logits）计算，数值更稳定。'''),
    code('''loss = gloss.SoftmaxCrossEntropyLoss()'''),
    md('''## 定义优化算法 — Defining the optimization algorithm'''),
    code('''trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})'''),
    md('''## 训练模型 — Training the model

用 3.6 的 `d2l.train_ch3`，这次传入 `trainer`。'''),
    code('''d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None,
              None, trainer)'''),
    book('epoch 1, loss 0.7906, train acc 0.745, test acc 0.792\n'
         'epoch 2, loss 0.5725, train acc 0.812, test acc 0.827\n'
         'epoch 3, loss 0.5299, train acc 0.824, test acc 0.831\n'
         'epoch 4, loss 0.5048, train acc 0.830, test acc 0.836\n'
         'epoch 5, loss 0.4895, train acc 0.834, test acc 0.841',
         FASHION_NOTE + ' ' + SOFTMAX_GAP),
    md('''## 小结 — Summary

- Gluon 的 `SoftmaxCrossEntropyLoss` 同时做 softmax 和交叉熵，数值上更稳定。
- 结果与从零实现的 3.6 相当。'''),
])


# --- 3.8 ----------------------------------------------------------------------------------------

XYPLOT = code('''def xyplot(x_vals, y_vals, name):
    d2l.set_figsize(figsize=(5, 2.5))
    d2l.plt.plot(x_vals.asnumpy(), y_vals.asnumpy())
    d2l.plt.xlabel('x')
    d2l.plt.ylabel(name + '(x)')''')

notebook('3.8', 'mlp', 'mlp', [
    md('''# 3.8 多层感知机 — Multilayer perceptrons'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import autograd, nd'''),
    parameters('''seed = 0
short_run = False'''),
    start(['seed']),
    md('''## 隐藏层 — Hidden layers

多层感知机（multilayer perceptron, MLP）在输入和输出之间加入隐藏层（hidden layer）。
只有仿射变换的话，多层仍等价于单层，所以隐藏层后要加非线性的激活函数。'''),
    md('''## 激活函数 — Activation functions

在 $x \\in [-8, 8)$（步长 0.1）上画出每个函数和它的导数（导数由 `autograd` 求得）。'''),
    XYPLOT,
    md('''### ReLU 函数 — The ReLU function

$\\mathrm{ReLU}(x) = \\max(x, 0)$。'''),
    code('''x = nd.arange(-8.0, 8.0, 0.1)
x.attach_grad()
with autograd.record():
    y = x.relu()
xyplot(x, y, 'relu')'''),
    md('''导数：负数处为 0，正数处为 1（在 0 处不可导，这里取 0）。'''),
    code('''y.backward()
xyplot(x, x.grad, 'grad of relu')'''),
    md('''### Sigmoid 函数 — The sigmoid function

$\\mathrm{sigmoid}(x) = 1 / (1 + \\exp(-x))$，值域 (0, 1)。'''),
    code('''with autograd.record():
    y = x.sigmoid()
xyplot(x, y, 'sigmoid')'''),
    md('''导数 $\\mathrm{sigmoid}(x)(1 - \\mathrm{sigmoid}(x))$，在 0 处最大，为 0.25。'''),
    code('''y.backward()
xyplot(x, x.grad, 'grad of sigmoid')'''),
    md('''### Tanh 函数 — The tanh function

$\\tanh(x) = (1 - \\exp(-2x)) / (1 + \\exp(-2x))$，值域 (-1, 1)，关于原点对称。'''),
    code('''with autograd.record():
    y = x.tanh()
xyplot(x, y, 'tanh')'''),
    md('''导数 $1 - \\tanh^2(x)$，在 0 处最大，为 1。'''),
    code('''y.backward()
xyplot(x, x.grad, 'grad of tanh')'''),
    md('''## 多层感知机 — Multilayer perceptrons

一个隐藏层：$\\boldsymbol{H} = \\phi(\\boldsymbol{X}\\boldsymbol{W}_h + \\boldsymbol{b}_h)$，
$\\boldsymbol{O} = \\boldsymbol{H}\\boldsymbol{W}_o + \\boldsymbol{b}_o$；分类时再接 softmax。
隐藏层个数和单元个数是超参数。'''),
    md('''## 小结 — Summary

- 多层感知机在输入和输出之间加入带激活函数的隐藏层。
- 常用的激活函数有 ReLU、sigmoid 和 tanh。'''),
])


# --- 3.9 ----------------------------------------------------------------------------------------

notebook('3.9', 'mlp_scratch', 'mlp-scratch', [
    md('''# 3.9 多层感知机的从零开始实现 — Multilayer perceptrons from scratch'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import nd
from mxnet.gluon import loss as gloss'''),
    parameters('''num_epochs = 5
lr = 0.5
batch_size = 256
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 获取和读取数据 — Getting and reading the data'''),
    code('''train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)'''),
    md('''## 定义模型参数 — Defining the model parameters

一个 256 个单元的隐藏层：$W_1$ 784×256，$W_2$ 256×10，权重取自 $N(0, 0.01^2)$，偏差为 0。'''),
    code('''num_inputs, num_outputs, num_hiddens = 784, 10, 256

W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens))
b1 = nd.zeros(num_hiddens)
W2 = nd.random.normal(scale=0.01, shape=(num_hiddens, num_outputs))
b2 = nd.zeros(num_outputs)
params = [W1, b1, W2, b2]

for param in params:
    param.attach_grad()'''),
    md('''## 定义激活函数 — Defining the activation function

自己写 ReLU（0 处的导数取 0，与 `nd.relu` 相同）：'''),
    source('ch3.book.mlp:relu'),
    md('''## 定义模型 — Defining the model

展平输入，隐藏层 $H = \\mathrm{relu}(XW_1 + b_1)$，输出 $HW_2 + b_2$；参数列表 `params` 作为参数传入。'''),
    source('ch3.book.mlp:net'),
    md('''## 定义损失函数 — Defining the loss function

用 Gluon 的 `SoftmaxCrossEntropyLoss`（数值更稳定）。'''),
    code('''loss = gloss.SoftmaxCrossEntropyLoss()'''),
    md('''## 训练模型 — Training the model

与 3.6 相同的 `d2l.train_ch3`，学习率 0.5。'''),
    code('''d2l.train_ch3(lambda X: net(X, params), train_iter, test_iter, loss, num_epochs,
              batch_size, params, lr)'''),
    book('epoch 1, loss 0.7748, train acc 0.710, test acc 0.833\n'
         'epoch 2, loss 0.4840, train acc 0.821, test acc 0.849\n'
         'epoch 3, loss 0.4292, train acc 0.840, test acc 0.849\n'
         'epoch 4, loss 0.3898, train acc 0.856, test acc 0.864\n'
         'epoch 5, loss 0.3669, train acc 0.864, test acc 0.861', MLP_NOTE),
    md('''## 小结 — Summary

- 手写参数、激活函数和模型就能实现多层感知机。
- 层数多了以后，从零实现会变得繁琐（下一节用 Gluon）。'''),
])


# --- 3.10 ---------------------------------------------------------------------------------------

notebook('3.10', 'mlp_gluon', 'mlp-gluon', [
    md('''# 3.10 多层感知机的简洁实现 — Concise implementation of multilayer perceptrons'''),
    code('''import ch3 as d2l
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn'''),
    parameters('''num_epochs = 5
lr = 0.5
batch_size = 256
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 定义模型 — Defining the model

两个全连接层：隐藏层 256 个单元、ReLU 激活，输出层 10 个单元。'''),
    code('''net = nn.Sequential()
net.add(nn.Dense(256, activation='relu'),
        nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))'''),
    md('''## 读取数据并训练模型 — Reading the data and training the model'''),
    code('''train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

loss = gloss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None,
              None, trainer)'''),
    book('epoch 1, loss 0.7917, train acc 0.708, test acc 0.813\n'
         'epoch 2, loss 0.4935, train acc 0.816, test acc 0.849\n'
         'epoch 3, loss 0.4317, train acc 0.840, test acc 0.861\n'
         'epoch 4, loss 0.4003, train acc 0.851, test acc 0.860\n'
         'epoch 5, loss 0.3763, train acc 0.860, test acc 0.872', MLP_NOTE),
    md('''## 小结 — Summary

- 用 Gluon 几行就能写出多层感知机，训练代码与 3.7 相同。'''),
])


# --- 3.11 ---------------------------------------------------------------------------------------

notebook('3.11', 'underfit_overfit', 'underfit-overfit', [
    md('''# 3.11 模型选择、欠拟合和过拟合 — Model selection, underfitting and overfitting'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import autograd, gluon, nd
from mxnet.gluon import data as gdata, loss as gloss, nn'''),
    parameters('''num_epochs = 100
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 训练误差和泛化误差 — Training error and generalization error

训练误差（training error）在训练集上，泛化误差（generalization error）是在新样本上的期望误差，
通常用测试集上的误差来近似。我们关心的是后者。'''),
    md('''## 模型选择 — Model selection

在若干候选模型（或超参数）里选一个。'''),
    md('''### 验证数据集 — Validation data set

测试集只能在最后用一次；选模型时从训练数据里留出一部分作为验证集（validation set）。'''),
    md('''### $K$ 折交叉验证 — K-fold cross-validation

训练数据分成 K 份，每次用一份验证、其余训练，K 次的误差取平均（3.16 会用到）。'''),
    md('''## 欠拟合和过拟合 — Underfitting and overfitting

欠拟合（underfitting）：训练误差降不下去；过拟合（overfitting）：训练误差远小于测试误差。'''),
    md('''### 模型复杂度 — Model complexity

多项式的阶数越高，模型越复杂：太低会欠拟合，太高容易过拟合。'''),
    md('''### 训练数据集大小 — Training data set size

训练样本太少更容易过拟合。'''),
    md('''## 多项式函数拟合实验 — Polynomial function fitting experiment'''),
    md('''### 生成数据集 — Generating the data set

$y = 1.2x - 3.4x^2 + 5.6x^3 + 5 + \\epsilon$，$\\epsilon \\sim N(0, 0.1^2)$；训练集、测试集各 100 个样本。'''),
    code('''n_train, n_test, true_w, true_b = 100, 100, [1.2, -3.4, 5.6], 5
features = nd.random.normal(shape=(n_train + n_test, 1))
poly_features = nd.concat(features, nd.power(features, 2),
                          nd.power(features, 3))
labels = (true_w[0] * poly_features[:, 0] + true_w[1] * poly_features[:, 1]
          + true_w[2] * poly_features[:, 2] + true_b)
labels += nd.random.normal(scale=0.1, shape=labels.shape)'''),
    code('''features[:2], poly_features[:2], labels[:2]'''),
    book('(\n [[2.2122064]\n  [0.7740038]]\n <NDArray 2x1 @cpu(0)>, \n'
         ' [[ 2.2122064   4.893857   10.826221  ]\n  [ 0.7740038   0.5990819   0.46369165]]\n'
         ' <NDArray 2x3 @cpu(0)>, \n [51.674885   6.3585763]\n <NDArray 2 @cpu(0)>)',
         '完全相同（identical）：种子 0 即 MXNet 进程启动时的随机状态。'),
    md('''### 定义、训练和测试模型 — Defining, training and testing the model

`semilogy`（即 `d2l.semilogy`）用对数纵轴画训练和测试损失：'''),
    source('ch3:semilogy'),
    md('''线性模型 `nn.Dense(1)`，平方损失，SGD（学习率 0.01），批量大小不超过 10。
最后打印最后一轮的损失和学到的参数。（`ch3.book.model_selection.fit_and_plot` 调用方式与书相同，
循环在 `fit_gluon` 里；这里把循环写出来。）'''),
    code('''loss = gloss.L2Loss()

def fit_and_plot(train_features, test_features, train_labels, test_labels):
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize()
    batch_size = min(10, train_labels.shape[0])
    train_iter = gdata.DataLoader(gdata.ArrayDataset(
        train_features, train_labels), batch_size, shuffle=True)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01})
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        train_ls.append(loss(net(train_features), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features), test_labels).mean().asscalar())
    print('final epoch: train loss', train_ls[-1], 'test loss', test_ls[-1])
    semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
             range(1, num_epochs + 1), test_ls, ['train', 'test'])
    print('weight:', net[0].weight.data().asnumpy(),
          '\\nbias:', net[0].bias.data().asnumpy())'''),
    md('''### 三阶多项式函数拟合（正常） — Third-order polynomial fitting (normal)

用 $x, x^2, x^3$ 三个特征：与真实模型同阶，训练和测试损失都很低，参数接近真实值。'''),
    code('''fit_and_plot(poly_features[:n_train, :], poly_features[n_train:, :],
             labels[:n_train], labels[n_train:])'''),
    book('final epoch: train loss 0.0069049126 test loss 0.011304694\n'
         'weight: [[ 1.3224835 -3.3640046  5.563308 ]] \nbias: [4.9524603]',
         '数据和初始权重都与书相同（同一 MXNet 随机流）；小批量的顺序由 numpy 的随机数决定，书没有设种子，'
         '所以这里的数字略有不同（训练损失 0.0073 对书的 0.0069）。下面只有两个训练样本的实验只有一个小批量，顺序无关，'
         '与书只差 float32 的最后一位。'),
    md('''### 线性函数拟合（欠拟合） — Linear function fitting (underfitting)

只用 $x$：模型太简单，训练损失也降不下去。'''),
    code('''fit_and_plot(features[:n_train, :], features[n_train:, :], labels[:n_train],
             labels[n_train:])'''),
    book('final epoch: train loss 43.997696 test loss 160.71014\nweight: [[15.567517]] \nbias: [2.282347]'),
    md('''### 训练样本不足（过拟合） — Too few training examples (overfitting)

只用 2 个训练样本：训练损失很低，测试损失很高。'''),
    code('''fit_and_plot(poly_features[0:2, :], poly_features[n_train:, :], labels[0:2],
             labels[n_train:])'''),
    book('final epoch: train loss 0.4027369 test loss 103.314186\n'
         'weight: [[1.3872364 1.9376589 3.5085924]] \nbias: [1.2312856]'),
    md('''## 小结 — Summary

- 用验证集或 K 折交叉验证选择模型，测试集不参与。
- 模型太简单会欠拟合，太复杂或数据太少会过拟合。'''),
])


# --- 3.12 ---------------------------------------------------------------------------------------

notebook('3.12', 'weight_decay', 'weight-decay', [
    md('''# 3.12 权重衰减 — Weight decay'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn'''),
    parameters('''num_epochs = 100
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 方法 — Method

权重衰减（weight decay）即 $L_2$ 范数正则化（regularization）：损失加上 $\\frac{\\lambda}{2}\\|\\boldsymbol{w}\\|^2$，
每步更新前先把权重乘以 $1 - \\eta\\lambda$，使权重变小。'''),
    md('''## 高维线性回归实验 — High-dimensional linear regression experiment

200 个特征，却只有 20 个训练样本：$y = 0.05 + \\sum_i 0.01 x_i + \\epsilon$，$\\epsilon \\sim N(0, 0.01^2)$。'''),
    code('''n_train, n_test, num_inputs = 20, 100, 200
true_w, true_b = nd.ones((num_inputs, 1)) * 0.01, 0.05

features = nd.random.normal(shape=(n_train + n_test, num_inputs))
labels = nd.dot(features, true_w) + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)
train_features, test_features = features[:n_train, :], features[n_train:, :]
train_labels, test_labels = labels[:n_train], labels[n_train:]'''),
    md('''## 从零开始实现 — Implementation from scratch'''),
    md('''### 初始化模型参数 — Initializing the model parameters

权重取自 $N(0, 1)$（比前几节大，过拟合更明显）。'''),
    code('''def init_params():
    w = nd.random.normal(scale=1, shape=(num_inputs, 1))
    b = nd.zeros(shape=(1,))
    w.attach_grad()
    b.attach_grad()
    return [w, b]'''),
    md('''### 定义$L_2$范数惩罚项 — Defining the L2 norm penalty'''),
    source('ch3.book.weight_decay:l2_penalty'),
    md('''### 定义训练和测试 — Defining training and testing

损失加上 `lambd * l2_penalty(w)`；批量大小 1，学习率 0.003。（`ch3.book.weight_decay.fit_and_plot`
调用方式与书相同，循环在 `fit_scratch` 里；这里把循环写出来。）'''),
    code('''batch_size, lr = 1, 0.003
net, loss = d2l.linreg, d2l.squared_loss
train_iter = gdata.DataLoader(gdata.ArrayDataset(
    train_features, train_labels), batch_size, shuffle=True)

def fit_and_plot(lambd):
    w, b = init_params()
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X, w, b), y) + lambd * l2_penalty(w)   # 加上 L2 惩罚项
            l.backward()
            d2l.sgd([w, b], lr, batch_size)
        train_ls.append(loss(net(train_features, w, b), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features, w, b), test_labels).mean().asscalar())
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                 range(1, num_epochs + 1), test_ls, ['train', 'test'])
    print('L2 norm of w:', w.norm().asscalar())'''),
    md('''### 观察过拟合 — Observing overfitting

$\\lambda = 0$：训练损失很低，测试损失高得多。'''),
    code('''fit_and_plot(lambd=0)'''),
    book('L2 norm of w: 11.611941',
         '数据和初始权重与书相同（同一 MXNet 随机流）；小批量的顺序由 numpy 的随机数决定（书未设种子）。'
         '$\\lambda = 0$ 时范数只差最后一位，$\\lambda = 3$ 时差在第三位有效数字。'),
    md('''### 使用权重衰减 — Using weight decay

$\\lambda = 3$：测试损失下降，权重的范数小得多。'''),
    code('''fit_and_plot(lambd=3)'''),
    book('L2 norm of w: 0.04225087'),
    md('''## 简洁实现 — Concise implementation

在 `Trainer` 里用 `wd` 指定权重衰减；只衰减权重，偏差用另一个不衰减的 `Trainer`。'''),
    code('''def fit_and_plot_gluon(wd):
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=1))
    # 权重参数的名字以 weight 结尾，偏差以 bias 结尾
    trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                              {'learning_rate': lr, 'wd': wd})
    trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd',
                              {'learning_rate': lr})
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer_w.step(batch_size)   # 两个 Trainer 各更新自己的参数
            trainer_b.step(batch_size)
        train_ls.append(loss(net(train_features), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features), test_labels).mean().asscalar())
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                 range(1, num_epochs + 1), test_ls, ['train', 'test'])
    print('L2 norm of w:', net[0].weight.data().norm().asscalar())'''),
    code('''fit_and_plot_gluon(0)'''),
    book('L2 norm of w: 13.311797'),
    code('''fit_and_plot_gluon(3)'''),
    book('L2 norm of w: 0.032601923'),
    md('''## 小结 — Summary

- 权重衰减通过惩罚大的权重来缓解过拟合。
- Gluon 的 `Trainer` 用 `wd` 超参数实现它，可以只对权重衰减。'''),
])


# --- 3.13 ---------------------------------------------------------------------------------------

notebook('3.13', 'dropout', 'dropout', [
    md('''# 3.13 丢弃法 — Dropout'''),
    code('''import ch3 as d2l
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn'''),
    parameters('''num_epochs = 5
lr = 0.5
batch_size = 256
seed = 0
short_run = False'''),
    start(['num_epochs']),
    md('''## 方法 — Method

丢弃法（dropout）训练时以概率 $p$ 把隐藏单元清零，其余除以 $1 - p$，期望不变；
测试时不丢弃。这样输出层不能过度依赖某一个隐藏单元，起到正则化的作用。'''),
    md('''## 从零开始实现 — Implementation from scratch'''),
    source('ch3.book.dropout:dropout'),
    code('''X = nd.arange(16).reshape((2, 8))
dropout(X, 0)'''),
    book('[[ 0.  1.  2.  3.  4.  5.  6.  7.]\n [ 8.  9. 10. 11. 12. 13. 14. 15.]]\n<NDArray 2x8 @cpu(0)>'),
    code('''dropout(X, 0.5)'''),
    book('[[ 0.  2.  4.  6.  0.  0.  0. 14.]\n [ 0. 18.  0.  0. 24. 26. 28.  0.]]\n<NDArray 2x8 @cpu(0)>',
         '完全相同（identical）：遮罩（mask）是 MXNet 随机流从启动状态（种子 0）抽出的第一批数。'),
    code('''dropout(X, 1)'''),
    book('[[0. 0. 0. 0. 0. 0. 0. 0.]\n [0. 0. 0. 0. 0. 0. 0. 0.]]\n<NDArray 2x8 @cpu(0)>'),
    md('''### 定义模型参数 — Defining the model parameters

两个隐藏层，各 256 个单元。'''),
    code('''num_inputs, num_outputs, num_hiddens1, num_hiddens2 = 784, 10, 256, 256

W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens1))
b1 = nd.zeros(num_hiddens1)
W2 = nd.random.normal(scale=0.01, shape=(num_hiddens1, num_hiddens2))
b2 = nd.zeros(num_hiddens2)
W3 = nd.random.normal(scale=0.01, shape=(num_hiddens2, num_outputs))
b3 = nd.zeros(num_outputs)

params = [W1, b1, W2, b2, W3, b3]
for param in params:
    param.attach_grad()'''),
    md('''### 定义模型 — Defining the model

第一个隐藏层后丢弃概率 0.2，第二个后 0.5；只在训练时（`autograd.is_training()`）丢弃。'''),
    code('''drop_prob1, drop_prob2 = 0.2, 0.5'''),
    source('ch3.book.dropout:net'),
    md('''### 训练和测试模型 — Training and testing the model'''),
    code('''loss = gloss.SoftmaxCrossEntropyLoss()
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
d2l.train_ch3(lambda X: net(X, params, drop_prob1, drop_prob2), train_iter, test_iter, loss,
              num_epochs, batch_size, params, lr)'''),
    book('epoch 1, loss 1.1393, train acc 0.558, test acc 0.773\n'
         'epoch 2, loss 0.5797, train acc 0.785, test acc 0.837\n'
         'epoch 3, loss 0.4944, train acc 0.818, test acc 0.849\n'
         'epoch 4, loss 0.4488, train acc 0.837, test acc 0.861\n'
         'epoch 5, loss 0.4160, train acc 0.848, test acc 0.863', MLP_NOTE),
    md('''## 简洁实现 — Concise implementation

在全连接层后加 `nn.Dropout`；它只在训练时起作用。'''),
    code('''net = nn.Sequential()
net.add(nn.Dense(256, activation='relu'),
        nn.Dropout(drop_prob1),      # 第一个全连接层后
        nn.Dense(256, activation='relu'),
        nn.Dropout(drop_prob2),      # 第二个全连接层后
        nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))'''),
    code('''trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None,
              None, trainer)'''),
    book('epoch 1, loss 1.1893, train acc 0.545, test acc 0.777\n'
         'epoch 2, loss 0.5879, train acc 0.780, test acc 0.839\n'
         'epoch 3, loss 0.4917, train acc 0.821, test acc 0.852\n'
         'epoch 4, loss 0.4520, train acc 0.834, test acc 0.865\n'
         'epoch 5, loss 0.4241, train acc 0.846, test acc 0.860', MLP_NOTE),
    md('''## 小结 — Summary

- 丢弃法只在训练时使用，按概率清零隐藏单元并放大其余单元。
- Gluon 里加一个 `nn.Dropout` 层即可。'''),
])


# --- 3.14 ---------------------------------------------------------------------------------------

notebook('3.14', 'backprop', 'backprop', [
    md('''# 3.14 正向传播、反向传播和计算图 — Forward propagation, backpropagation and computational graphs

书中本节是理论，没有代码。下面用 `ch3.book.backprop` 按书中的公式手算梯度，并与 `autograd` 比较。'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import autograd, nd
from ch3.book import backprop'''),
    parameters('''seed = 0
short_run = False'''),
    start(['seed']),
    md('''## 正向传播 — Forward propagation

书中的模型：一个隐藏层，无偏差，带 $L_2$ 惩罚：$z = W^{(1)}x$，$h = \\phi(z)$，$o = W^{(2)}h$，
$L = \\ell(o, y)$，$s = \\frac{\\lambda}{2}(\\|W^{(1)}\\|^2 + \\|W^{(2)}\\|^2)$，目标函数 $J = L + s$。
（ch3 按行存放样本：$Z = XW_1$。）'''),
    code('''n, d, h, q, lambd = 4, 5, 3, 2, 0.1
X = nd.random.normal(shape=(n, d))
y = nd.array([0, 1, 1, 0])
W1, W2 = backprop.init_weights([d, h, q], scale=0.5)
J, cache = backprop.forward(X, y, W1, W2, lambd)
J, sorted(cache)'''),
    md('''## 正向传播的计算图 — Computational graph of forward propagation

方框是变量，圆圈是运算；正向传播从左下（输入）算到右上（目标函数）。'''),
    code('''backprop.graph_figure()'''),
    md('''## 反向传播 — Backpropagation

按链式法则（chain rule）从 $J$ 反向计算：$\\partial J/\\partial o$，$\\partial J/\\partial W^{(2)}$，
$\\partial J/\\partial h$，$\\partial J/\\partial z$，$\\partial J/\\partial W^{(1)}$，
并重用正向传播存下的 $z, h, o$。'''),
    source('ch3.book.backprop:backward'),
    code('''grads = backward(X, y, W1, W2, cache, lambd)
auto = backprop.autograd_gradients(X, y, W1, W2, lambd)
{name: float(nd.abs(grads[name] - auto[name]).max().asscalar()) for name in grads}'''),
    md('''手算的梯度与 `autograd` 的差别只是 float32 的舍入误差。'''),
    md('''## 训练深度学习模型 — Training deep learning models

反向传播要用正向传播存下的中间变量，所以训练时这些变量要一直保存到反向传播结束：
内存随批量大小和层数线性增长。下面统计不同批量大小下要保存的数字个数。'''),
    code('''for batch in (1, 64, 256):
    X_b = nd.random.normal(shape=(batch, d))
    y_b = nd.zeros(batch)
    _, cache_b = backprop.forward(X_b, y_b, W1, W2, lambd)
    print('batch size %3d: %s' % (batch, backprop.cache_size(cache_b)))'''),
    md('''## 小结 — Summary

- 正向传播依次计算并存储中间变量，反向传播按相反顺序计算梯度。
- 训练时中间变量要保留到反向传播，这是训练比预测更占内存的原因。'''),
])


# --- 3.15 ---------------------------------------------------------------------------------------

notebook('3.15', 'numerical_stability_and_init', 'numerical-stability-and-init', [
    md('''# 3.15 数值稳定性和模型初始化 — Numerical stability and model initialization

书中本节是理论，没有代码。下面用 `ch3.book.initialization` 演示衰减、爆炸和两种随机初始化。'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import autograd, init, nd
from mxnet.gluon import nn
from ch3.book import initialization'''),
    parameters('''num_layers = 30
seed = 0
short_run = False'''),
    start(['num_layers']),
    md('''## 衰减和爆炸 — Vanishing and exploding

不考虑偏差、激活为恒等函数时，第 $l$ 层输出是 $X W^{(1)} \\cdots W^{(l)}$。
权重全为 0.2 时，第 30 层输出是 $0.2^{30}$（衰减，vanishing）；全为 5 时是 $5^{30}$（爆炸，exploding）。'''),
    code('''vanish = initialization.layer_outputs(0.2, num_layers)
explode = initialization.layer_outputs(5, num_layers)
vanish[-1].asscalar(), 0.2 ** num_layers, explode[-1].asscalar(), 5.0 ** num_layers'''),
    code('''initialization.layer_outputs_figure({0.2: vanish, 5: explode})'''),
    md('''## 随机初始化模型参数 — Random initialization of model parameters

如果隐藏层所有单元的参数初始值相同，它们正向算出同样的值、反向得到同样的梯度，训练后仍然相同：
等于只有一个隐藏单元。下面把 3.9 的多层感知机的权重全设为 0.1，做一步训练后数一数不同的隐藏单元有几个。'''),
    code('''X = nd.random.uniform(shape=(8, 784))
y = nd.array([0, 1, 2, 3, 4, 5, 6, 7])
params = initialization.mlp_params(init.Constant(0.1), num_hiddens=16)
W1, b1, W2, b2 = params
with autograd.record():
    O = nd.dot((nd.dot(X, W1) + b1).relu(), W2) + b2
    l = d2l.book.softmax.stable_cross_entropy(O, y).sum()
l.backward()
d2l.sgd(params, 0.1, 8)
initialization.hidden_unit_spread(params)'''),
    md('''### MXNet的默认随机初始化 — MXNet's default random initialization

`net.initialize()` 不指定初始化方法时，权重取自均匀分布 $U(-0.07, 0.07)$，偏差为 0。'''),
    code('''weight, bias = initialization.dense_init(784, 256)
weight.min().asscalar(), weight.max().asscalar(), bias.abs().max().asscalar()'''),
    md('''### Xavier随机初始化 — Xavier random initialization

输入 $a$ 个、输出 $b$ 个的全连接层，权重取自 $U(-\\sqrt{6/(a+b)}, \\sqrt{6/(a+b)})$：
输出的方差不受输入个数影响，梯度的方差不受输出个数影响。MXNet 的 `init.Xavier()` 就是它。'''),
    code('''weight, _ = initialization.dense_init(784, 256, init.Xavier())
initialization.xavier_bound(784, 256), weight.abs().max().asscalar()'''),
    md('''## 小结 — Summary

- 深度模型的梯度可能衰减或爆炸。
- 随机初始化打破隐藏单元之间的对称性；常用 MXNet 默认的均匀分布或 Xavier。'''),
])


# --- 3.16 ---------------------------------------------------------------------------------------

notebook('3.16', 'kaggle_house_price', 'kaggle-house-price', [
    md('''# 3.16 实战Kaggle比赛：房价预测 — Kaggle house price prediction'''),
    code('''%matplotlib inline
import ch3 as d2l
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn
import numpy as np
import os
import pandas as pd
from ch3.data.kaggle_house import find_kaggle_house'''),
    parameters('''k = 5              # K 折交叉验证的折数
num_epochs = 100
seed = 0
short_run = False'''),
    start(['k', 'num_epochs']),
    md('''## Kaggle比赛 — Kaggle competitions

Kaggle 是数据科学竞赛平台。这场比赛（House Prices - Advanced Regression Techniques）按房屋的 79 个特征预测售价。'''),
    md('''## 获取和读取数据集 — Getting and reading the data set

`find_kaggle_house()` 找到本机的两个 CSV 文件（`CH3_DATA_DIR`，或 `~/.mxnet/datasets/kaggle_house`），用 pandas 读入。'''),
    code('''data_dir = find_kaggle_house()
train_data = pd.read_csv(os.path.join(data_dir, 'kaggle_house_pred_train.csv'))
test_data = pd.read_csv(os.path.join(data_dir, 'kaggle_house_pred_test.csv'))'''),
    code('''train_data.shape'''),
    book('(1460, 81)'),
    code('''test_data.shape'''),
    book('(1459, 80)'),
    code('''train_data.iloc[0:4, [0, 1, 2, 3, -3, -2, -1]]'''),
    book('''   Id  MSSubClass MSZoning  LotFrontage SaleType SaleCondition  SalePrice
0   1          60       RL         65.0       WD        Normal     208500
1   2          20       RL         80.0       WD        Normal     181500
2   3          60       RL         68.0       WD        Normal     223500
3   4          70       RL         60.0       WD       Abnorml     140000'''),
    md('''去掉 `Id`（训练集还去掉标签 `SalePrice`），训练集和测试集的特征拼在一起预处理。'''),
    code('''all_features = pd.concat((train_data.iloc[:, 1:-1], test_data.iloc[:, 1:]))'''),
    md('''## 预处理数据 — Preprocessing the data

数值特征标准化（standardization）为均值 0、标准差 1，缺失值换成均值（即 0）；
类别特征变成指示特征（one-hot），`dummy_na=True` 把缺失也当作一个类别。'''),
    code('''numeric_features = all_features.dtypes[all_features.dtypes != 'object'].index
all_features[numeric_features] = all_features[numeric_features].apply(
    lambda x: (x - x.mean()) / (x.std()))
all_features = all_features.fillna(all_features.mean(numeric_only=True))'''),
    code('''all_features = pd.get_dummies(all_features, dummy_na=True)
all_features.shape'''),
    book('(2919, 331)', '相同（pandas 1.5）。pandas 2 的 `read_csv` 把 `MasVnrType` 列里的字符串 "None" 读成缺失值（missing），'
         '少一个类别，得到 330 列；它的 `get_dummies` 还返回 bool 列。所以在有 pandas 1.5 的 Python（3.8–3.11）上，ch3 的依赖固定 pandas 1.5。'),
    code('''n_train = train_data.shape[0]
train_features = nd.array(all_features[:n_train].values)
test_features = nd.array(all_features[n_train:].values)
train_labels = nd.array(train_data.SalePrice.values).reshape((-1, 1))'''),
    md('''## 训练模型 — Training the model

线性模型加平方损失作为基线（baseline）。'''),
    code('''loss = gloss.L2Loss()'''),
    source('ch3.book.kaggle_house:get_net'),
    md('''比赛用对数均方根误差（log RMSE）评价：$\\sqrt{\\frac{1}{n}\\sum_i(\\log y_i - \\log \\hat{y}_i)^2}$；
预测值小于 1 的先设为 1，取对数才稳定。'''),
    source('ch3.book.kaggle_house:log_rmse'),
    md('''训练用 Adam 优化算法（对学习率不那么敏感），每个迭代周期后记录训练集（和验证集）上的 log RMSE。
`ch3.book.kaggle_house` 里也有签名与书相同的 `train`、`k_fold` 和 `train_and_pred`，
但它们的循环在共用的辅助函数里；这里把循环写出来。'''),
    code('''def train(net, train_features, train_labels, test_features, test_labels,
          num_epochs, learning_rate, weight_decay, batch_size):
    train_ls, test_ls = [], []
    train_iter = gdata.DataLoader(gdata.ArrayDataset(
        train_features, train_labels), batch_size, shuffle=True)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {
        'learning_rate': learning_rate, 'wd': weight_decay})   # Adam 优化算法
    for epoch in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        train_ls.append(log_rmse(net, train_features, train_labels))
        if test_labels is not None:
            test_ls.append(log_rmse(net, test_features, test_labels))
    return train_ls, test_ls'''),
    md('''## $K$折交叉验证 — K-fold cross-validation

`get_k_fold_data` 返回第 i 折的训练数据和验证数据：'''),
    source('ch3.book.kfold:get_k_fold_data'),
    md('''`k_fold` 训练 K 次，返回训练误差和验证误差的平均；画出第一折的曲线。'''),
    code('''def k_fold(k, X_train, y_train, num_epochs,
           learning_rate, weight_decay, batch_size):
    train_l_sum, valid_l_sum = 0, 0
    for i in range(k):
        data = get_k_fold_data(k, i, X_train, y_train)
        net = get_net()
        train_ls, valid_ls = train(net, *data, num_epochs, learning_rate,
                                   weight_decay, batch_size)
        train_l_sum += train_ls[-1]
        valid_l_sum += valid_ls[-1]
        if i == 0:
            d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'rmse',
                         range(1, num_epochs + 1), valid_ls, ['train', 'valid'])
        print('fold %d, train rmse: %f, valid rmse: %f' % (i, train_ls[-1], valid_ls[-1]))
    return train_l_sum / k, valid_l_sum / k'''),
    md('''## 模型选择 — Model selection

书中的一组超参数：学习率 5，不用权重衰减，批量大小 64。'''),
    code('''lr, weight_decay, batch_size = 5, 0, 64
train_l, valid_l = k_fold(k, train_features, train_labels, num_epochs, lr,
                          weight_decay, batch_size)
print('%d-fold validation: avg train rmse: %f, avg valid rmse: %f'
      % (k, train_l, valid_l))'''),
    book('fold 0, train rmse: 0.169582, valid rmse: 0.156665\n'
         'fold 1, train rmse: 0.162050, valid rmse: 0.188944\n'
         'fold 2, train rmse: 0.163999, valid rmse: 0.168395\n'
         'fold 3, train rmse: 0.167683, valid rmse: 0.154671\n'
         'fold 4, train rmse: 0.162449, valid rmse: 0.182810\n'
         '5-fold validation: avg train rmse: 0.165153, avg valid rmse: 0.170297',
         '小批量的顺序由 numpy 的随机数决定（书未设种子），所以每折的数字在小数点后第三、四位上不同。'),
    md('''## 预测并在Kaggle提交结果 — Predicting and submitting to Kaggle

用全部训练数据重新训练，画出训练曲线，预测测试集并写成 `submission.csv`（可以提交到 Kaggle）。'''),
    code('''def train_and_pred(train_features, test_features, train_labels, test_data,
                   num_epochs, lr, weight_decay, batch_size):
    net = get_net()
    train_ls, _ = train(net, train_features, train_labels, None, None,
                        num_epochs, lr, weight_decay, batch_size)
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'rmse')
    print('train rmse %f' % train_ls[-1])
    preds = net(test_features).asnumpy()
    test_data['SalePrice'] = pd.Series(preds.reshape(1, -1)[0])
    submission = pd.concat([test_data['Id'], test_data['SalePrice']], axis=1)
    submission.to_csv('submission.csv', index=False)'''),
    code('''train_and_pred(train_features, test_features, train_labels, test_data,
               num_epochs, lr, weight_decay, batch_size)'''),
    book('train rmse 0.162577'),
    md('''## 小结 — Summary

- 真实数据通常要先预处理：标准化数值特征、填补缺失值、把类别特征变成指示特征。
- 用 K 折交叉验证选择模型和超参数。'''),
])
