"""Write the companion notebooks (one per section topic) from the cells below, without outputs.

    .venv/bin/python notebooks/generate.py        # rewrites notebooks/*.ipynb

Each notebook shows the code it runs: code cells that build the model, the loss and the training
loop by calling the book layer (`ch3.book`, `import ch3 as d2l`) the way the book does, and the
source of the book's functions displayed with `show_source`. It trains, plots (figures inline) and
ends with our numbers beside the book's recorded ones. With the environment variable CH3_QUICK=1
the notebooks use the quick caps of ch3.harness.settings.QUICK (a subset, 1-2 epochs) through
`setting(...)`; the test suite executes every notebook that way.
"""
import os
import sys

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))

SETUP = '''%matplotlib inline
import ch3 as d2l
from ch3.harness.notebook import compare, plot_histories, result, setting, show_source
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.harness.settings import quick_from_environment

d2l.set_seed(0)                    # same seed, same numbers
QUICK = quick_from_environment()   # CH3_QUICK=1: quick settings (a subset, 1-2 epochs)
ctx = d2l.try_gpu()                # the book trains on a GPU when there is one'''

# Read Fashion-MNIST as the book does; in quick mode only the first `subset` images of each split.
LOAD_FASHION_MNIST = '''batch_size = 256
subset = setting('{section}', 'subset', None)   # None: all 60000 training images
if subset is None:
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
else:
    train_iter, test_iter = fashion_mnist_iters(batch_size, [ctx], subset)
num_epochs = setting('{section}', 'num_epochs', 5)'''


def md(text):
    return ('markdown', text)


def code(text):
    return ('code', text)


SOFTMAX = [
    md('3.4: softmax turns each row of logits into probabilities. The book\'s version '
       'overflows once a logit passes exp(88.7) in float32; subtracting the row\'s largest logit '
       'first gives the same result without overflow.'),
    code('from mxnet import gluon, nd\n'
         'from mxnet.gluon import loss as gloss\n'
         'from ch3.book import softmax\n\n'
         'show_source(softmax.softmax, softmax.stable_softmax)'),
    code('logits = nd.array([[1.0, 2.0, 3.0], [0.0, 50.0, 100.0]])\n'
         'print(softmax.softmax(logits))\n'
         'print(softmax.stable_softmax(logits))\n'
         'exp_50 = nd.exp(nd.array([50.0])).asscalar()\n'
         'exp_50'),
    md('3.6 from scratch: read Fashion-MNIST in minibatches of 256.'),
    code(LOAD_FASHION_MNIST.format(section='3.6')),
    md('The model is softmax(X W + b) on the flattened 28x28 images and the loss is '
       '-log of the probability given to the true class.'),
    code('show_source(softmax.init_params, softmax.net, softmax.cross_entropy)'),
    md('Before training the model is right about one time in ten (chance); `train_ch3` then '
       'trains it with minibatch SGD (lr 0.1) and prints one line per epoch.'),
    code('W, b = softmax.init_params(ctx)\n'
         'lr = 0.1\n\n'
         'def net(X):\n'
         '    return softmax.net(X, W, b)\n\n'
         'untrained_test_acc = d2l.evaluate_accuracy(test_iter, net)\n'
         'print(\'untrained test acc %.3f\' % untrained_test_acc)\n'
         'history = d2l.train_ch3(net, train_iter, test_iter, softmax.cross_entropy, num_epochs,\n'
         '                        batch_size, [W, b], lr, ctx=ctx)'),
    md('Predictions on the first test images (true label above the predicted one).'),
    code('X, y = next(iter(test_iter))\n'
         'true_labels = d2l.get_fashion_mnist_labels(y[:9])\n'
         'pred_labels = d2l.get_fashion_mnist_labels(net(X[:9]).argmax(axis=1))\n'
         'titles = [t + \'\\n\' + p for t, p in zip(true_labels, pred_labels)]\n'
         'd2l.show_fashion_mnist(X[:9], titles)'),
    md('3.7 with Gluon: one `Dense(10)` layer and `SoftmaxCrossEntropyLoss`, which computes '
       'softmax and the log together (the stable form) from the logits.'),
    code('show_source(softmax.gluon_net)'),
    code('net_gluon = softmax.gluon_net(ctx)\n'
         'loss = gloss.SoftmaxCrossEntropyLoss()\n'
         'trainer = gluon.Trainer(net_gluon.collect_params(), \'sgd\', {\'learning_rate\': 0.1})\n'
         'history_gluon = d2l.train_ch3(net_gluon, train_iter, test_iter, loss, num_epochs,\n'
         '                              batch_size, None, None, trainer, ctx=ctx)'),
    md('Test accuracy per epoch for both versions; dashed: the book\'s printed epochs.'),
    code('from ch3.harness.registry import get_section\n\n'
         'plot_histories({\'from scratch (3.6)\': history, \'Gluon (3.7)\': history_gluon},\n'
         '               book={\'book 3.6\': get_section(\'3.6\').book[\'history\'],\n'
         '                     \'book 3.7\': get_section(\'3.7\').book[\'history\']});'),
    md('Our numbers beside the book\'s (the book\'s are for 5 epochs on all the data).'),
    code('compare(result(\'3.4\', \'scratch\', exp_50=float(exp_50)),\n'
         '        result(\'3.6\', \'scratch\', history, untrained_test_acc=untrained_test_acc),\n'
         '        result(\'3.7\', \'gluon\', history_gluon))'),
]

FASHION_MNIST = [
    md('The book reads the data set with Gluon: a sample is an image (28, 28, 1) of uint8 and '
       'its label.'),
    code('from ch3.book import fashion_mnist\n\n'
         'mnist_train = fashion_mnist.FashionMNISTArrays(train=True)\n'
         'mnist_test = fashion_mnist.FashionMNISTArrays(train=False)\n'
         'feature, label = mnist_train[0]\n'
         'len(mnist_train), len(mnist_test), feature.shape, feature.dtype, label'),
    md('The first nine training images with their text labels.'),
    code('show_source(d2l.get_fashion_mnist_labels)\n'
         'X, y = mnist_train[0:9]\n'
         'text_labels = d2l.get_fashion_mnist_labels(y)\n'
         'd2l.show_fashion_mnist(X, text_labels)'),
    md('Minibatches: `ToTensor` turns each image into (1, 28, 28) float32 in [0, 1] and a '
       '`DataLoader` shuffles and batches them.'),
    code('show_source(fashion_mnist.gluon_loader)'),
    md('One timed pass over the training images, with the book\'s Gluon pipeline and with our '
       'own reader (`FashionMNISTIter`, the default of `load_data_fashion_mnist`).'),
    code('batch_size = 256\n'
         'subset = setting(\'3.5\', \'subset\', None)   # None: all 60000\n'
         'seconds = {}\n'
         'for pipeline in (\'gluon\', \'fast\'):\n'
         '    train_iter, test_iter = fashion_mnist_iters(batch_size, [ctx], subset,\n'
         '                                                pipeline=pipeline)\n'
         '    timer = d2l.Timer()\n'
         '    for X, y in train_iter:\n'
         '        continue\n'
         '    seconds[pipeline] = timer.stop()\n'
         'X.shape, X.dtype, y.shape, y.dtype, seconds'),
    md('Our numbers beside the book\'s.'),
    code('compare(result(\'3.5\', \'gluon\', train_size=len(mnist_train),\n'
         '               test_size=len(mnist_test), sample_shape=list(feature.shape),\n'
         '               sample_dtype=feature.dtype.__name__, first_label=int(label),\n'
         '               label_dtype=str(label.dtype), batch_size=batch_size, num_workers=0,\n'
         '               first_nine_first_last=[text_labels[0], text_labels[-1]],\n'
         '               read_seconds=seconds[\'gluon\'], read_seconds_fast=seconds[\'fast\']))'),
]

ACTIVATIONS = [
    md('The book computes each activation with MXNet on x = -8, -7.9, ..., 7.9 and its '
       'derivative with autograd.'),
    code('from mxnet import autograd, nd\n'
         'from ch3.book import activations\n\n'
         'x = nd.arange(-8.0, 8.0, 0.1)\n'
         'x.attach_grad()\n'
         'curves = []\n'
         'for name, fn in ((\'relu\', nd.relu), (\'sigmoid\', nd.sigmoid), (\'tanh\', nd.tanh)):\n'
         '    with autograd.record():\n'
         '        y = fn(x)\n'
         '    y.backward()\n'
         '    curves.append((name, y, x.grad.copy()))\n'
         'activations.activation_figure(x, curves)'),
    md('From scratch: the same functions and their derivatives written by hand.'),
    code('show_source(activations.relu, activations.relu_grad, activations.sigmoid,\n'
         '            activations.sigmoid_grad, activations.tanh, activations.tanh_grad)'),
    md('The hand-written derivatives against autograd\'s, largest difference on the grid.'),
    code('hand = {\'relu\': activations.relu_grad, \'sigmoid\': activations.sigmoid_grad,\n'
         '        \'tanh\': activations.tanh_grad}\n'
         'diffs = {name: float((hand[name](x) - grad).abs().max().asscalar())\n'
         '         for name, values, grad in curves}\n'
         'zero = nd.array([0.0])\n'
         'sigmoid_grad_at_0 = float(activations.sigmoid_grad(zero).asscalar())\n'
         'tanh_grad_at_0 = float(activations.tanh_grad(zero).asscalar())\n'
         'diffs, sigmoid_grad_at_0, tanh_grad_at_0'),
    md('Our numbers beside the book\'s.'),
    code('compare(result(\'3.8\', \'scratch\', sigmoid_grad_at_0=sigmoid_grad_at_0,\n'
         '               tanh_grad_at_0=tanh_grad_at_0,\n'
         '               **{name + \'_grad_max_abs_diff\': d for name, d in diffs.items()}))'),
]

MLP = [
    md('Read Fashion-MNIST in minibatches of 256.'),
    code('from mxnet import gluon\n'
         'from mxnet.gluon import loss as gloss\n'
         'from ch3.book import mlp\n'
         'from ch3.harness.registry import get_section\n\n'
         + LOAD_FASHION_MNIST.format(section='3.9')),
    md('3.9 from scratch: W1 (784, 256), b1, W2 (256, 10), b2 with weights drawn from '
       'N(0, 0.01^2); the model is relu(X W1 + b1) W2 + b2.'),
    code('show_source(mlp.init_params, mlp.relu, mlp.net)'),
    md('Train with Gluon\'s cross-entropy loss, `train_ch3` and SGD (lr 0.5).'),
    code('params = mlp.init_params(ctx=ctx)\n'
         'loss = gloss.SoftmaxCrossEntropyLoss()\n'
         'lr = 0.5\n\n'
         'def net(X):\n'
         '    return mlp.net(X, params)\n\n'
         'history = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,\n'
         '                        params, lr, ctx=ctx)'),
    md('3.10 with Gluon: `Dense(256, activation=\'relu\')` and `Dense(10)` in a `Sequential`, '
       'trained by a `Trainer`.'),
    code('show_source(mlp.gluon_net)'),
    code('net_gluon = mlp.gluon_net(ctx=ctx)\n'
         'trainer = gluon.Trainer(net_gluon.collect_params(), \'sgd\', {\'learning_rate\': lr})\n'
         'history_gluon = d2l.train_ch3(net_gluon, train_iter, test_iter, loss, num_epochs,\n'
         '                              batch_size, None, None, trainer, ctx=ctx)'),
    md('Test accuracy per epoch; dashed: the book\'s printed epochs.'),
    code('plot_histories({\'from scratch (3.9)\': history, \'Gluon (3.10)\': history_gluon},\n'
         '               book={\'book 3.9\': get_section(\'3.9\').book[\'history\'],\n'
         '                     \'book 3.10\': get_section(\'3.10\').book[\'history\']});'),
    md('Our numbers beside the book\'s.'),
    code('compare(result(\'3.9\', \'scratch\', history),\n'
         '        result(\'3.10\', \'gluon\', history_gluon))'),
]

DROPOUT = [
    md('Dropout zeroes each element with probability `drop_prob` and divides the rest by '
       '1 - drop_prob; the book tries it on a 2x8 matrix.'),
    code('from mxnet import gluon, nd\n'
         'from mxnet.gluon import loss as gloss\n'
         'from ch3.book import dropout\n'
         'from ch3.harness.registry import get_section\n\n'
         'show_source(dropout.dropout)\n'
         'X = nd.arange(16).reshape((2, 8))\n'
         'for drop_prob in (0, 0.5, 1):\n'
         '    print(drop_prob, dropout.dropout(X, drop_prob))'),
    md('Read Fashion-MNIST.'),
    code(LOAD_FASHION_MNIST.format(section='3.13')),
    md('From scratch: 3.9\'s MLP with two hidden layers of 256 units; while training, '
       'hidden layer 1 drops with p = 0.2 and layer 2 with p = 0.5.'),
    code('show_source(dropout.init_params, dropout.net)'),
    code('params = dropout.init_params(ctx=ctx)\n'
         'loss = gloss.SoftmaxCrossEntropyLoss()\n'
         'lr = 0.5\n\n'
         'def net(X):\n'
         '    return dropout.net(X, params, drop_prob1=0.2, drop_prob2=0.5)\n\n'
         'history = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,\n'
         '                        params, lr, ctx=ctx)'),
    md('With Gluon: an `nn.Dropout` layer after each hidden layer.'),
    code('net_gluon = dropout.gluon_net(ctx=ctx)\n'
         'print(net_gluon)\n'
         'trainer = gluon.Trainer(net_gluon.collect_params(), \'sgd\', {\'learning_rate\': lr})\n'
         'history_gluon = d2l.train_ch3(net_gluon, train_iter, test_iter, loss, num_epochs,\n'
         '                              batch_size, None, None, trainer, ctx=ctx)'),
    md('Test accuracy per epoch; dashed: the book\'s printed epochs.'),
    code('book = get_section(\'3.13\').book\n'
         'plot_histories({\'from scratch\': history, \'Gluon\': history_gluon},\n'
         '               book={\'book, from scratch\': book[\'scratch_history\'],\n'
         '                     \'book, Gluon\': book[\'gluon_history\']});'),
    md('Our numbers beside the book\'s.'),
    code('compare(result(\'3.13\', \'scratch\', history),\n'
         '        result(\'3.13\', \'gluon\', history_gluon))'),
]

BACKPROP = [
    md('The forward pass of the book\'s graph (no biases, L2 penalty) keeps z, h and o; the '
       'backward pass applies the chain rule from J back to W2 and W1, reusing them.'),
    code('from mxnet import nd\n'
         'from ch3.book import backprop\n\n'
         'show_source(backprop.forward, backprop.backward)'),
    md('A random batch through a 784-256-10 network, the hand-written gradients and '
       'autograd\'s.'),
    code('batch_size = setting(\'3.14\', \'batch_size\', 256)\n'
         'lambd = 0.1\n'
         'X = nd.random.normal(shape=(batch_size, 784), ctx=ctx)\n'
         'y = nd.random.randint(0, 10, shape=(batch_size,), ctx=ctx).astype(\'float32\')\n'
         'W1, W2 = backprop.init_weights([784, 256, 10], ctx=ctx)\n'
         'J, cache = backprop.forward(X, y, W1, W2, lambd)\n'
         'hand = backprop.backward(X, y, W1, W2, cache, lambd)\n'
         'auto = backprop.autograd_gradients(X, y, W1, W2, lambd)\n'
         'rel_diff = {name: float((hand[name] - auto[name]).abs().max().asscalar()\n'
         '                        / auto[name].abs().max().asscalar()) for name in hand}\n'
         'J.asscalar(), rel_diff'),
    md('What the forward pass keeps grows linearly with the batch size and the depth.'),
    code('sizes = (1, 8, 32) if QUICK else (1, 16, 64, 256)\n'
         'depths = (1, 2, 4) if QUICK else (1, 2, 4, 8)\n'
         'growth = backprop.memory_growth(sizes, depths, ctx=ctx)\n'
         'growth[\'per_depth\']'),
    code('backprop.memory_figure(growth)'),
    code('backprop.graph_figure()'),
    md('Our numbers (the book prints none for this section).'),
    code('kept = backprop.cache_size(cache)\n'
         'compare(result(\'3.14\', \'scratch\', J=float(J.asscalar()),\n'
         '               autograd_max_rel_diff=max(rel_diff.values()),\n'
         '               intermediate_arrays=kept[\'arrays\'],\n'
         '               intermediate_bytes=kept[\'bytes\']))'),
]

INITIALIZATION = [
    md('The book\'s example: 30 layers that each multiply by the same weight. With 0.2 the '
       'output vanishes, with 5 it explodes.'),
    code('from mxnet import init\n'
         'from ch3.book import initialization\n\n'
         'show_source(initialization.layer_outputs)\n'
         'runs = {w: initialization.layer_outputs(w, 30, ctx=ctx) for w in (0.2, 5.0)}\n'
         'vanishing, exploding = (float(runs[w][-1].asscalar()) for w in (0.2, 5.0))\n'
         'vanishing, exploding'),
    code('initialization.layer_outputs_figure(runs)'),
    md('MXNet\'s default `net.initialize()` draws U(-0.07, 0.07); Xavier draws '
       'U(-sqrt(6/(a+b)), sqrt(6/(a+b))) for a layer with a inputs and b outputs.'),
    code('W_default, b_default = initialization.dense_init(784, 256)\n'
         'W_xavier, b_xavier = initialization.dense_init(784, 256, init.Xavier())\n'
         'default_bound = float(W_default.abs().max().asscalar())\n'
         'print(\'largest |w|: default %.4f, Xavier %.4f (bound %.4f)\'\n'
         '      % (default_bound, W_xavier.abs().max().asscalar(),\n'
         '         initialization.xavier_bound(784, 256)))\n'
         'initialization.init_figure({\'default\': W_default, \'Xavier\': W_xavier})'),
    md('Symmetry: 3.9\'s MLP started with every weight equal keeps all its hidden units equal; '
       'random weights break the symmetry.'),
    code('show_source(initialization.mlp_params, initialization.train_mlp_scratch)'),
    code(LOAD_FASHION_MNIST.format(section='3.15') + '\n'
         'spread = {}\n'
         'for name, weight_init in ((\'equal\', init.Constant(0.001)), (\'random\', None)):\n'
         '    params, history = initialization.train_mlp_scratch(\n'
         '        train_iter, test_iter, weight_init, num_epochs=num_epochs, lr=0.1, ctx=ctx)\n'
         '    spread[name] = initialization.hidden_unit_spread(params)\n'
         'spread'),
    md('Our numbers beside the book\'s.'),
    code('compare(result(\'3.15\', \'scratch\', vanishing_layer_30=vanishing,\n'
         '               exploding_layer_30=exploding,\n'
         '               initializers_mxnet_default_bound=default_bound,\n'
         '               equal_init_distinct_units=spread[\'equal\'][\'distinct_units\'],\n'
         '               random_init_distinct_units=spread[\'random\'][\'distinct_units\']))'),
]

LINEAR_REGRESSION = [
    md('3.1: adding two 1000-element vectors one element at a time in Python against one '
       'vectorized `+`.'),
    code('from mxnet import autograd, nd\n'
         'from ch3.book import linear_regression\n\n'
         'show_source(linear_regression.add_elementwise)\n'
         'a, b = nd.ones(shape=1000), nd.ones(shape=1000)\n'
         'timer = d2l.Timer()\n'
         'linear_regression.add_elementwise(a, b).wait_to_read()\n'
         'loop_seconds = timer.stop()\n'
         'timer = d2l.Timer()\n'
         'linear_regression.add_vectorized(a, b).wait_to_read()\n'
         'vector_seconds = timer.stop()\n'
         'loop_seconds, vector_seconds'),
    md('3.2: 1000 examples from y = X [2, -3.4] + 4.2 + noise; the second feature against the '
       'label.'),
    code('features, labels = linear_regression.make_data(ctx=ctx)\n'
         'print(features[0], labels[0])\n'
         'linear_regression.scatter_figure(features, labels)'),
    md('The pieces of the from-scratch version: random minibatches, the model, the squared loss '
       'and minibatch SGD.'),
    code('show_source(d2l.data_iter, d2l.linreg, d2l.squared_loss, d2l.sgd)'),
    md('The book\'s training loop: three epochs, batch 10, lr 0.03, with w ~ N(0, 0.01^2) and '
       'b = 0. The learned w and b should be close to the true ones.'),
    code('lr, num_epochs, batch_size = 0.03, 3, 10\n'
         'net, loss = d2l.linreg, d2l.squared_loss\n'
         'w, b = linear_regression.init_params(ctx=ctx)\n'
         'losses = []\n'
         'for epoch in range(num_epochs):\n'
         '    for X, y in d2l.data_iter(batch_size, features, labels):\n'
         '        with autograd.record():\n'
         '            l = loss(net(X, w, b), y)   # the minibatch\'s losses\n'
         '        l.backward()                    # gradients of their sum\n'
         '        d2l.sgd([w, b], lr, batch_size)\n'
         '    losses.append(float(loss(net(features, w, b), labels).mean().asscalar()))\n'
         '    print(\'epoch %d, loss %f\' % (epoch + 1, losses[-1]))\n'
         'linear_regression.true_w, w.reshape((-1,)), linear_regression.true_b, b'),
    md('3.3 with Gluon: the same data through a `DataLoader`, `nn.Dense(1)`, `L2Loss` and a '
       '`Trainer`.'),
    code('show_source(linear_regression.gluon_net, linear_regression.train_gluon)'),
    code('net = linear_regression.gluon_net(ctx)\n'
         '(weight, bias), history_gluon = linear_regression.train_gluon(net, features, labels,\n'
         '                                                              ctx=ctx)\n'
         'weight, bias'),
    md('The loss over all examples per epoch, both versions.'),
    code('epochs = range(1, num_epochs + 1)\n'
         'd2l.semilogy(epochs, losses, \'epoch\', \'loss\', epochs,\n'
         '             [h[\'loss\'] for h in history_gluon], [\'from scratch\', \'Gluon\']);'),
    md('Our numbers beside the book\'s.'),
    code('compare(result(\'3.1\', \'scratch\', loop_seconds=loop_seconds,\n'
         '               vector_seconds=vector_seconds),\n'
         '        result(\'3.2\', \'scratch\', loss=losses, w=w.asnumpy().ravel().tolist(),\n'
         '               b=float(b.asscalar())),\n'
         '        result(\'3.3\', \'gluon\', loss=[h[\'loss\'] for h in history_gluon],\n'
         '               w=weight.asnumpy().ravel().tolist(), b=float(bias.asscalar())))'),
]

MODEL_SELECTION = [
    md('Data: y = 1.2x - 3.4x^2 + 5.6x^3 + 5 + noise, 100 training and 100 test examples; the '
       'three fits use [x, x^2, x^3], x alone, and [x, x^2, x^3] on only two examples.'),
    code('from mxnet import nd\n'
         'from ch3.book import model_selection\n\n'
         'features, poly_features, labels = model_selection.make_poly_data(ctx=ctx)\n'
         'fits = model_selection.book_fits(features, poly_features, labels)\n'
         'features[:2], poly_features[:2], labels[:2]'),
    md('The book\'s fit with Gluon: `nn.Dense(1)`, `L2Loss` and SGD; `fit_and_plot` plots '
       'training and test loss per epoch on a log scale.'),
    code('show_source(model_selection.fit_gluon)'),
    code('num_epochs = setting(\'3.11\', \'num_epochs\', 100)\n'
         'final = {}\n'
         'for name in (\'normal\', \'underfit\', \'overfit\'):\n'
         '    (w, b), history, fig = model_selection.fit_and_plot(\n'
         '        *fits[name], fit=model_selection.fit_gluon, num_epochs=num_epochs, ctx=ctx,\n'
         '        title=name)\n'
         '    final[name] = {\'train_loss\': history[-1][\'train_loss\'],\n'
         '                   \'test_loss\': history[-1][\'test_loss\'],\n'
         '                   \'w\': w.asnumpy().ravel().tolist(), \'b\': float(b.asscalar())}'),
    md('From scratch: the same loop with `linreg`, `squared_loss` and `sgd`, on the third-order '
       'fit.'),
    code('show_source(model_selection.fit_scratch)\n'
         '(w, b), history_scratch = model_selection.fit_scratch(*fits[\'normal\'],\n'
         '                                                      num_epochs=num_epochs, ctx=ctx)\n'
         'w.reshape((-1,)), b, history_scratch[-1]'),
    md('k-fold cross-validation chooses between the cubic and the linear model without the '
       'test set.'),
    code('k = setting(\'3.11\', \'k\', 5)\n'
         'n = model_selection.n_train\n'
         'cubic = model_selection.cross_validate(k, poly_features[:n], labels[:n],\n'
         '                                       num_epochs=num_epochs, ctx=ctx, verbose=False)\n'
         'linear = model_selection.cross_validate(k, features[:n], labels[:n],\n'
         '                                        num_epochs=num_epochs, ctx=ctx, verbose=False)\n'
         'cubic[\'valid_mean\'], linear[\'valid_mean\']'),
    md('Training, test and validation error of the least-squares fit against the polynomial '
       'degree: the test error falls, then rises again.'),
    code('curve = model_selection.capacity_curve(features, labels, k=k)\n'
         'model_selection.capacity_figure(curve)'),
    md('Our numbers beside the book\'s (its data and seed differ from ours).'),
    code('compare(result(\'3.11\', \'gluon\', **final),\n'
         '        result(\'3.11\', \'scratch\', normal=dict(\n'
         '            train_loss=history_scratch[-1][\'train_loss\'],\n'
         '            test_loss=history_scratch[-1][\'test_loss\'],\n'
         '            w=w.asnumpy().ravel().tolist(), b=float(b.asscalar()))))'),
]

WEIGHT_DECAY = [
    md('20 training examples with 200 features: a linear model overfits them.'),
    code('from ch3.book import weight_decay\n\n'
         'data = weight_decay.make_data(ctx=ctx)\n'
         '[a.shape for a in data]'),
    md('From scratch: the L2 penalty lambd/2 ||w||^2 added to each example\'s squared loss.'),
    code('show_source(weight_decay.l2_penalty, weight_decay.fit_scratch)'),
    code('num_epochs = setting(\'3.12\', \'num_epochs\', 100)\n'
         'w_norm = {\'scratch\': {}, \'gluon\': {}}\n'
         'for lambd in (0, 3):\n'
         '    (w, b), history, fig = weight_decay.fit_and_plot(\n'
         '        lambd, data, num_epochs=num_epochs, ctx=ctx)\n'
         '    w_norm[\'scratch\'][\'lambd=%d\' % lambd] = float(w.norm().asscalar())'),
    md('With Gluon: the Trainer\'s `wd` decays the weights; a second Trainer steps the bias.'),
    code('show_source(weight_decay.gluon_trainers)\n'
         'for wd in (0, 3):\n'
         '    (w, b), history, fig = weight_decay.fit_and_plot(\n'
         '        wd, data, fit=weight_decay.fit_gluon, num_epochs=num_epochs, ctx=ctx)\n'
         '    w_norm[\'gluon\'][\'lambd=%d\' % wd] = float(w.norm().asscalar())'),
    md('Our numbers beside the book\'s (the L2 norm of w after training).'),
    code('compare(result(\'3.12\', \'scratch\', w_norm={\'scratch\': w_norm[\'scratch\']}),\n'
         '        result(\'3.12\', \'gluon\', w_norm={\'gluon\': w_norm[\'gluon\']}))'),
]

KAGGLE_HOUSE = [
    md('A first look at the data: 1460 training and 1459 test houses.'),
    code('from ch3.book import kaggle_house\n\n'
         'data = kaggle_house.load_data(ctx=ctx)\n'
         'print(data[\'train_data\'].shape, data[\'test_data\'].shape)\n'
         'kaggle_house.first_look(data[\'train_data\'])'),
    md('Preprocessing: standardize the numeric features, set their missing values to 0 and '
       'one-hot encode the rest.'),
    code('show_source(kaggle_house.preprocess)\n'
         'data[\'train_features\'].shape, data[\'test_features\'].shape'),
    md('The score is the RMSE of the log prices; the model is `nn.Dense(1)`, trained on the '
       'squared loss with Adam.'),
    code('show_source(kaggle_house.log_rmse, kaggle_house.get_net, kaggle_house.train)'),
    md('5-fold validation (in quick mode 2 folds and 10 epochs); the plot shows fold 0.'),
    code('k = setting(\'3.16\', \'k\', 5)\n'
         'num_epochs = setting(\'3.16\', \'num_epochs\', 100)\n'
         'lr, weight_decay, batch_size = 5, 0, 64\n'
         'folds = kaggle_house.k_fold(k, data[\'train_features\'], data[\'train_labels\'],\n'
         '                            num_epochs, lr, weight_decay, batch_size, ctx=ctx)\n'
         'kaggle_house.fold_figure(folds[\'folds\'][0]);'),
    md('From scratch: the same model with `linreg` and a hand-written Adam.'),
    code('show_source(kaggle_house.adam)\n'
         'folds_scratch = kaggle_house.k_fold(\n'
         '    k, data[\'train_features\'], data[\'train_labels\'], num_epochs, lr, weight_decay,\n'
         '    batch_size, from_scratch=True, ctx=ctx)'),
    md('Train on all 1460 houses and write the predictions in Kaggle\'s format.'),
    code('prediction = kaggle_house.train_and_pred(\n'
         '    data[\'train_features\'], data[\'test_features\'], data[\'train_labels\'],\n'
         '    data[\'test_data\'], \'submission.csv\', num_epochs, lr, weight_decay, batch_size,\n'
         '    overwrite=True, ctx=ctx)\n'
         'prediction[\'rows\'], prediction[\'train_log_rmse\']'),
    md('Our numbers beside the book\'s.'),
    code('def scores(result_of_k_fold):\n'
         '    return dict(train_log_rmse=result_of_k_fold[\'train_mean\'],\n'
         '                valid_log_rmse=result_of_k_fold[\'valid_mean\'],\n'
         '                num_features=data[\'train_features\'].shape[1])\n\n'
         'compare(result(\'3.16\', \'gluon\', **scores(folds)),\n'
         '        result(\'3.16\', \'scratch\', **scores(folds_scratch)))'),
]

# (file stem, title, introduction, sections, cells)
TOPICS = [
    ('sec3_01_linear_regression', '3.1–3.3 Linear regression',
     'A linear model predicts y from features x as y_hat = x w + b and is trained by minibatch '
     'stochastic gradient descent on the squared loss (y_hat - y)^2 / 2.',
     ['3.1', '3.2', '3.3'], LINEAR_REGRESSION),
    ('sec3_04_softmax_regression', '3.4, 3.6–3.7 Softmax regression',
     'Softmax regression turns 10 linear outputs o into class probabilities '
     'softmax(o)_j = exp(o_j) / sum_k exp(o_k) and is trained with the cross-entropy loss '
     '-log y_hat_y on Fashion-MNIST.', ['3.4', '3.6', '3.7'], SOFTMAX),
    ('sec3_05_fashion_mnist', '3.5 The Fashion-MNIST data set',
     'Fashion-MNIST has 60000 training and 10000 test images of clothing, 28x28 grey pixels in '
     '10 classes; sections 3.6–3.10 and 3.13 train on it.', ['3.5'], FASHION_MNIST),
    ('sec3_08_activations', '3.8 Multilayer perceptron: activation functions',
     'A hidden layer only helps if a nonlinearity follows it; the book plots ReLU, sigmoid and '
     'tanh and their gradients (computed with autograd).', ['3.8'], ACTIVATIONS),
    ('sec3_09_mlp', '3.9–3.10 Multilayer perceptron',
     'One hidden layer of 256 ReLU units between the flattened image and the 10 outputs: '
     'H = relu(X W1 + b1), O = H W2 + b2, trained with cross-entropy.', ['3.9', '3.10'], MLP),
    ('sec3_13_dropout', '3.13 Dropout',
     'During training dropout zeroes each hidden unit with probability p and scales the rest '
     'by 1/(1-p), so the expected value is unchanged; at test time it does nothing.',
     ['3.13'], DROPOUT),
    ('sec3_14_backprop', '3.14 Forward propagation, backpropagation and computational graphs',
     'Backpropagation applies the chain rule backwards through the computational graph, reusing '
     'the intermediate values stored by the forward pass.', ['3.14'], BACKPROP),
    ('sec3_15_initialization', '3.15 Numerical stability and model initialization',
     'Many layers multiply many factors, so outputs and gradients can vanish or explode; '
     'random initialization (MXNet\'s default or Xavier) keeps them in range and breaks the '
     'symmetry between hidden units.', ['3.15'], INITIALIZATION),
    ('sec3_11_model_selection', '3.11 Model selection, underfitting and overfitting',
     'Fitting a third-order polynomial with a cubic model (a good fit), a linear one '
     '(underfitting) and a cubic one on only two examples (overfitting), and watching training '
     'against test loss.', ['3.11'], MODEL_SELECTION),
    ('sec3_12_weight_decay', '3.12 Weight decay',
     'High-dimensional linear regression (200 features, 20 training examples) overfits; adding '
     'lambd/2 ||w||^2 to the loss (weight decay) shrinks w and lowers the test loss.',
     ['3.12'], WEIGHT_DECAY),
    ('sec3_16_kaggle_house', '3.16 Kaggle house prices',
     'Predict house prices from 79 features: standardize the numeric features, one-hot encode '
     'the categorical ones, train a linear model with Adam and judge it by the log RMSE in '
     'K-fold cross-validation.', ['3.16'], KAGGLE_HOUSE),
]


def make_notebook(stem, title, intro, sections, cells):
    """One topic's notebook: title and introduction, set-up, then the topic's cells."""
    v4 = nbformat.v4
    made = [v4.new_markdown_cell('# %s\n\n%s\n\nThe code cells call the book layer '
                                 '(`ch3.book`, and `ch3` imported as `d2l`); set `CH3_QUICK=1` '
                                 'in the environment for a short run on a subset.'
                                 % (title, intro)),
            v4.new_code_cell(SETUP)]
    for kind, text in cells:
        made.append(v4.new_markdown_cell(text) if kind == 'markdown' else v4.new_code_cell(text))
    nb = v4.new_notebook(cells=made)
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3',
                                 'language': 'python'}
    nb.metadata['language_info'] = {'name': 'python'}
    nb.metadata['ch3'] = {'sections': list(sections)}
    return nb


def write_all(folder=HERE):
    """Write every topic's notebook into folder; return the paths."""
    paths = []
    for stem, title, intro, sections, cells in TOPICS:
        nb = make_notebook(stem, title, intro, sections, cells)
        for i, cell in enumerate(nb.cells):   # stable ids keep regenerated files diff-free
            cell['id'] = '%s-%d' % (stem.split('_', 2)[-1].replace('_', '-'), i)
        path = os.path.join(folder, stem + '.ipynb')
        nbformat.validate(nb)
        with open(path, 'w', encoding='utf-8') as handle:
            nbformat.write(nb, handle)
        paths.append(path)
    return paths


if __name__ == '__main__':
    for written in write_all(sys.argv[1] if len(sys.argv) > 1 else HERE):
        print(written)
