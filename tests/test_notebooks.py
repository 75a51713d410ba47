"""The companion notebooks: one per notebook of the book's chapter 3, with the book's subsection
titles in order, generated from notebooks/chapter.py and ch3.book (no drift), committed with the
outputs of their current code, and each executed here, shortened, in a fresh kernel."""
import importlib.util
import json
import pathlib
import re

import nbformat
import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / 'notebooks'


def _load_generator():
    spec = importlib.util.spec_from_file_location('ch3_notebooks_generate',
                                                  NOTEBOOK_DIR / 'generate.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load_generator()
PANDAS_1 = int(pd.__version__.split('.')[0]) < 2

# The book's notebooks (d2l-zh, chapter_deep-learning-basics) and their headings in order, without
# the closing 练习 / 扫码直达 / 参考文献 ones.
TITLES = {
    '3.1': ('linear_regression', [
        '# 线性回归', '## 线性回归的基本要素', '### 模型', '### 模型训练', '#### 训练数据',
        '#### 损失函数', '#### 优化算法', '### 模型预测', '## 线性回归的表示方法', '### 神经网络图',
        '### 矢量计算表达式', '## 小结']),
    '3.2': ('linear_regression_scratch', [
        '# 线性回归的从零开始实现', '## 生成数据集', '## 读取数据', '## 初始化模型参数', '## 定义模型',
        '## 定义损失函数', '## 定义优化算法', '## 训练模型', '## 小结']),
    '3.3': ('linear_regression_gluon', [
        '# 线性回归的简洁实现', '## 生成数据集', '## 读取数据', '## 定义模型', '## 初始化模型参数',
        '## 定义损失函数', '## 定义优化算法', '## 训练模型', '## 小结']),
    '3.4': ('softmax_regression', [
        '# Softmax 回归', '## 分类问题', '## Softmax 回归模型', '### Softmax 运算',
        '## 单样本分类的矢量计算表达式', '## 小批量样本分类的矢量计算表达式', '## 交叉熵损失函数',
        '## 模型预测及评价', '## 小结']),
    '3.5': ('fashion_mnist', [
        '# 图像分类数据集（Fashion-MNIST）', '## 获取数据集', '## 读取小批量', '## 小结']),
    '3.6': ('softmax_regression_scratch', [
        '# Softmax回归的从零开始实现', '## 获取和读取数据', '## 初始化模型参数', '## 实现Softmax运算',
        '## 定义模型', '## 定义损失函数', '## 计算分类准确率', '## 训练模型', '## 预测', '## 小结']),
    '3.7': ('softmax_regression_gluon', [
        '# Softmax 回归的简洁实现', '## 获取和读取数据', '## 定义和初始化模型',
        '## Softmax 和交叉熵损失函数', '## 定义优化算法', '## 训练模型', '## 小结']),
    '3.8': ('mlp', [
        '# 多层感知机', '## 隐藏层', '## 激活函数', '### ReLU 函数', '### Sigmoid 函数',
        '### Tanh 函数', '## 多层感知机', '## 小结']),
    '3.9': ('mlp_scratch', [
        '# 多层感知机的从零开始实现', '## 获取和读取数据', '## 定义模型参数', '## 定义激活函数',
        '## 定义模型', '## 定义损失函数', '## 训练模型', '## 小结']),
    '3.10': ('mlp_gluon', [
        '# 多层感知机的简洁实现', '## 定义模型', '## 读取数据并训练模型', '## 小结']),
    '3.11': ('underfit_overfit', [
        '# 模型选择、欠拟合和过拟合', '## 训练误差和泛化误差', '## 模型选择', '### 验证数据集',
        '### $K$ 折交叉验证', '## 欠拟合和过拟合', '### 模型复杂度', '### 训练数据集大小',
        '## 多项式函数拟合实验', '### 生成数据集', '### 定义、训练和测试模型',
        '### 三阶多项式函数拟合（正常）', '### 线性函数拟合（欠拟合）', '### 训练样本不足（过拟合）',
        '## 小结']),
    '3.12': ('weight_decay', [
        '# 权重衰减', '## 方法', '## 高维线性回归实验', '## 从零开始实现', '### 初始化模型参数',
        '### 定义$L_2$范数惩罚项', '### 定义训练和测试', '### 观察过拟合', '### 使用权重衰减',
        '## 简洁实现', '## 小结']),
    '3.13': ('dropout', [
        '# 丢弃法', '## 方法', '## 从零开始实现', '### 定义模型参数', '### 定义模型',
        '### 训练和测试模型', '## 简洁实现', '## 小结']),
    '3.14': ('backprop', [
        '# 正向传播、反向传播和计算图', '## 正向传播', '## 正向传播的计算图', '## 反向传播',
        '## 训练深度学习模型', '## 小结']),
    '3.15': ('numerical_stability_and_init', [
        '# 数值稳定性和模型初始化', '## 衰减和爆炸', '## 随机初始化模型参数',
        '### MXNet的默认随机初始化', '### Xavier随机初始化', '## 小结']),
    '3.16': ('kaggle_house_price', [
        '# 实战Kaggle比赛：房价预测', '## Kaggle比赛', '## 获取和读取数据集', '## 预处理数据',
        '## 训练模型', '## $K$折交叉验证', '## 模型选择', '## 预测并在Kaggle提交结果', '## 小结']),
}
SECTIONS = list(TITLES)


def _file(section):
    return NOTEBOOK_DIR / ('sec3_%02d_%s.ipynb' % (int(section.split('.')[1]), TITLES[section][0]))


def _read(section):
    return nbformat.read(str(_file(section)), as_version=4)


# Figures the book's notebook draws (ours draw at least these).
FIGURES = {'3.2': 1, '3.5': 1, '3.6': 1, '3.8': 6, '3.11': 3, '3.12': 4, '3.16': 2}

# Demos of the book's notebooks: (a line of the cell, text its output contains or None).
DEMOS = {
    '3.1': [('a = nd.ones(shape=3)', '[11. 11. 11.]'), ('c[i] = a[i] + b[i]', None),
            ('d = a + b', None)],
    '3.2': [('print(X, y)', '<NDArray 10x2'), ("print('epoch %d, loss %f'", 'epoch 1, loss ')],
    '3.3': [('print(X, y)', '<NDArray 10x2'), ("print('epoch %d, loss: %f'", 'epoch 1, loss: ')],
    '3.5': [('len(mnist_train), len(mnist_test)', '(60000, 10000)'),
            ('feature.shape, feature.dtype', '(28, 28, 1)')],
    '3.6': [('X.sum(axis=0, keepdims=True), X.sum(axis=1, keepdims=True)', '[[5. 7. 9.]]'),
            ('X_prob, X_prob.sum(axis=1)', '<NDArray 2x5'), ('nd.pick(y_hat, y)', '[0.1 0.5]'),
            ('accuracy(y_hat, y)', '0.5'), ('evaluate_accuracy(test_iter, lambda X', '0.'),
            ('train_ch3(lambda X: net(X, W, b)', 'test acc')],
    '3.7': [('d2l.train_ch3(net', 'test acc')],
    '3.9': [('d2l.train_ch3(lambda X: net(X, params)', 'test acc')],
    '3.10': [('d2l.train_ch3(net', 'test acc')],
    '3.11': [('fit_and_plot(poly_features[:n_train, :]', 'final epoch: train loss'),
             ('fit_and_plot(features[:n_train, :]', 'weight:'),
             ('fit_and_plot(poly_features[0:2, :]', 'bias:')],
    '3.12': [('fit_and_plot(lambd=0)', 'L2 norm of w:'),
             ('fit_and_plot(lambd=3)', 'L2 norm of w:'),
             ('fit_and_plot_gluon(0)', 'L2 norm of w:'),
             ('fit_and_plot_gluon(3)', 'L2 norm of w:')],
    '3.13': [('dropout(X, 0)', '[ 8.  9. 10. 11. 12. 13. 14. 15.]'),
             ('dropout(X, 0.5)', '<NDArray 2x8'),
             ('dropout(X, 1)', '[0. 0. 0. 0. 0. 0. 0. 0.]'),
             ('d2l.train_ch3(lambda X: net(X, params, drop_prob1', 'test acc'),
             ('None, trainer)', 'test acc')],
    '3.16': [('train_data.shape', '(1460, 81)'), ('test_data.shape', '(1459, 80)'),
             # pandas 2 reads MasVnrType's string "None" as missing: one category fewer
             ('all_features.shape', '(2919, %d)' % (331 if PANDAS_1 else 330)),
             ('train_l, valid_l = k_fold(', 'fold 0'),
             ('train_and_pred(train_features, test_features', 'train rmse')],
}

# The book's printed data that depend only on MXNet's stream from its start state (seed 0).
BOOK_DATA = {
    '3.2': ('features[0], labels[0]', ['2.2122064', '0.7740038', '6.000587']),
    '3.6': ('X = nd.random.normal(shape=(2, 5))',
            ['0.21324193', '0.33961776', '0.1239742', '0.27106097', '0.05210521', '0.11462264',
             '0.3461234', '0.19401033', '0.29583326', '0.04941036', '1.0000001', '1.']),
    '3.11': ('features[:2], poly_features[:2], labels[:2]',
             ['2.2122064', '0.7740038', '2.2122064', '4.893857', '10.826221', '0.7740038',
              '0.5990819', '0.46369165', '51.674885', '6.3585763']),
    '3.13': ('dropout(X, 0.5)', ['0.', '2.', '4.', '6.', '0.', '0.', '0.', '14.',
                                 '0.', '18.', '0.', '0.', '24.', '26.', '28.', '0.']),
}

# Shortened settings for the suite (the notebooks' parameters cells hold the book's).
SHORT = {'3.2': {'num_epochs': 1}, '3.3': {'num_epochs': 1}, '3.6': {'num_epochs': 1},
         '3.7': {'num_epochs': 1}, '3.9': {'num_epochs': 1}, '3.10': {'num_epochs': 1},
         '3.11': {'num_epochs': 10}, '3.12': {'num_epochs': 5}, '3.13': {'num_epochs': 1},
         '3.16': {'k': 2, 'num_epochs': 5}}


def _texts(cell):
    """The text of a code cell's outputs (stream and text/plain)."""
    parts = []
    for out in cell.get('outputs', []):
        if 'text' in out:
            parts.append(out['text'])
        elif 'text/plain' in out.get('data', {}):
            parts.append(out['data']['text/plain'])
    return '\n'.join(parts)


def _images(cells):
    return sum(1 for cell in cells for out in cell.get('outputs', [])
               if {'image/png', 'image/svg+xml'} & set(out.get('data', {})))


def _cell(nb, line):
    """The first code cell that starts with line, else the first that contains it."""
    code = [c for c in nb.cells if c.cell_type == 'code']
    found = ([c for c in code if c.source.startswith(line)]
             or [c for c in code if line in c.source])
    assert found, 'no code cell contains %r' % line
    return found[0]


def _numbers(text):
    return re.findall(r'-?\d+\.\d*(?:e[-+]?\d+)?', text)


def _headings(nb):
    """'## title' for every markdown heading, without the ' — English' gloss and the section
    number of the first."""
    headings = []
    for cell in nb.cells:
        if cell.cell_type != 'markdown':
            continue
        for line in cell.source.splitlines():
            if line.startswith('#'):
                level, _, text = line.partition(' ')
                text = text.split(' — ')[0]
                text = re.sub(r'^3\.\d+ ', '', text)
                headings.append(level + ' ' + text)
    return headings


# --- the committed notebooks ---------------------------------------------------------------------

def test_one_notebook_per_book_notebook_and_no_other():
    committed = sorted(p.name for p in NOTEBOOK_DIR.glob('*.ipynb'))
    assert committed == sorted(_file(s).name for s in SECTIONS)
    assert [s['section'] for s in generate.chapter.NOTEBOOKS] == SECTIONS


@pytest.mark.parametrize('section', SECTIONS)
def test_headings_are_the_books_subsection_titles_in_order(section):
    assert _headings(_read(section)) == TITLES[section][1]


@pytest.mark.parametrize('section', SECTIONS)
def test_first_cells_are_the_books_imports_and_no_harness(section):
    nb = _read(section)
    assert 'ch3.harness' not in _file(section).read_text(encoding='utf-8')
    first = nb.cells[1]
    assert first.cell_type == 'code' and 'import ch3 as d2l' in first.source
    for line in first.source.splitlines():
        assert line == '%matplotlib inline' or re.match(r'(from \S+ )?import ', line), line
    tagged = [c for c in nb.cells if 'parameters' in c.metadata.get('tags', [])]
    assert len(tagged) == 1 and nb.cells.index(tagged[0]) == 2
    assert 'short_run = False' in tagged[0].source and 'seed = 0' in tagged[0].source


@pytest.mark.parametrize('section', SECTIONS)
def test_committed_notebook_is_what_the_generator_writes_now(section):
    """The cells (sources of ch3.book functions included) equal a fresh build from chapter.py."""
    spec, = generate.specs([section])
    built, committed = generate.build(spec), _read(section)
    assert ([(c.cell_type, c.source, c.metadata.get('tags')) for c in committed.cells]
            == [(c.cell_type, c.source, c.metadata.get('tags')) for c in built.cells]), \
        'notebooks/%s differs from the generator: run `make notebooks`' % spec['file']


@pytest.mark.parametrize('section', SECTIONS)
def test_committed_outputs_come_from_the_current_code(section):
    nb = _read(section)
    assert nb.metadata['ch3'].get('code_hash') == generate.code_hash(nb), \
        'the code changed since %s was executed: run `make notebooks`' % _file(section).name
    for cell in nb.cells:
        if cell.cell_type == 'code':
            assert cell.execution_count is not None, cell.source[:60]
            assert not [o for o in cell.outputs if o.output_type == 'error'], cell.source[:60]
    assert 'short run' not in json.dumps([_texts(c) for c in nb.cells if c.cell_type == 'code'])
    assert _images(nb.cells) >= FIGURES.get(section, 0)
    assert _file(section).stat().st_size < 300 * 1024


@pytest.mark.parametrize('section', sorted(BOOK_DATA))
def test_committed_data_are_the_books_exactly(section):
    line, book = BOOK_DATA[section]
    assert _numbers(_texts(_cell(_read(section), line))) == book


def test_presented_source_is_the_book_layer_function():
    import inspect
    from ch3.book import training
    nb = _read('3.2')
    cell = _cell(nb, 'def data_iter(')
    assert cell.source.endswith(inspect.getsource(training.data_iter).rstrip())
    assert cell.source.startswith('# data_iter（ch3/book/training.py）')


def test_the_free_names_of_a_function_are_its_helpers():
    from ch3.book import training
    names = generate.free_names(training.data_iter)
    assert 'check_int' in names and 'nd' in names and 'random' in names
    assert 'batch_size' not in names and 'indices' not in names and 'len' not in names


# --- executed, shortened -------------------------------------------------------------------------

@pytest.mark.parametrize('section', SECTIONS)
def test_notebook_runs_shortened_in_a_fresh_kernel(section, tmp_path):
    nb = generate.build(generate.specs([section])[0])
    settings = dict(SHORT.get(section, {}), short_run=True)
    generate.execute(nb, settings, timeout=600, cwd=str(tmp_path))
    injected = nb.cells[3]
    assert injected.metadata['tags'] == ['injected-parameters']
    # the shortened run says so before the first of the book's numbers
    notice = nb.cells[4]
    assert '缩短运行（short run）' in _texts(notice)
    first_note = min([i for i, c in enumerate(nb.cells)
                      if c.cell_type == 'markdown' and "the book's output" in c.source]
                     or [len(nb.cells)])
    assert 4 < first_note
    for line, expected in DEMOS.get(section, []):
        text = _texts(_cell(nb, line))
        assert text if expected is None else expected in text, (line, text[:300])
    if section in BOOK_DATA:
        line, book = BOOK_DATA[section]
        assert _numbers(_texts(_cell(nb, line))) == book
    assert _images(nb.cells) >= FIGURES.get(section, 0)
    if section == '3.16':
        assert (tmp_path / 'submission.csv').exists()   # written where the kernel runs
