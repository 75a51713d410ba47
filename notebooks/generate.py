"""Write the companion notebooks (one per section topic) from the table below, without outputs.

    .venv/bin/python notebooks/generate.py        # rewrites notebooks/*.ipynb

Each notebook imports ch3, says in a sentence or two what each step does, runs it with
`ch3.run_section` (figures appear inline) and ends with our numbers beside the book's. With the
environment variable CH3_QUICK=1 every run uses quick settings (a subset, 1-2 epochs); the test
suite executes every notebook that way. A version is listed only if the registry has it; a section
not registered yet gets its default version, so run this again when new sections land.
"""
import os
import sys

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))

# (file stem, title, introduction, [(section, impl, variable, explanation), ...])
TOPICS = [
    ('sec3_01_linear_regression', '3.1–3.3 Linear regression',
     'A linear model predicts y from features x as y_hat = x w + b and is trained by minibatch '
     'stochastic gradient descent on the squared loss (y_hat - y)^2 / 2.',
     [('3.1', 'scratch', 'vectorized',
       '3.1: adding two 1000-element vectors one element at a time in Python against one '
       'vectorized `+`; the vectorized form is orders of magnitude faster.'),
      ('3.2', 'scratch', 'scratch',
       '3.2 from scratch: 1000 examples from y = X [2, -3.4] + 4.2 + noise, random minibatches '
       'from `data_iter`, then `linreg`, `squared_loss` and `sgd` for three epochs. The learned '
       'w and b should be close to the true ones.'),
      ('3.3', 'gluon', 'gluon',
       '3.3 with Gluon: the same data through `DataLoader`, the model `nn.Dense(1)`, `L2Loss` and '
       'a `Trainer`; the result should match the from-scratch version.')]),
    ('sec3_04_softmax_regression', '3.4, 3.6–3.7 Softmax regression',
     'Softmax regression turns 10 linear outputs o into class probabilities '
     'softmax(o)_j = exp(o_j) / sum_k exp(o_k) and is trained with the cross-entropy loss '
     '-log y_hat_y on Fashion-MNIST.',
     [('3.4', 'scratch', 'softmax_demo',
       '3.4: softmax and cross-entropy on a few logits, including where a naive exp overflows '
       'in float32 and how subtracting the largest logit keeps it stable.'),
      ('3.6', 'scratch', 'scratch',
       '3.6 from scratch: the model softmax(X W + b) on flattened 28x28 images, our own '
       'cross-entropy and `sgd`, trained with `train_ch3`, which prints one line per epoch.'),
      ('3.7', 'gluon', 'gluon',
       '3.7 with Gluon: `nn.Dense(10)` and `SoftmaxCrossEntropyLoss`, which fuses softmax and '
       'the log for numerical stability.')]),
    ('sec3_05_fashion_mnist', '3.5 The Fashion-MNIST data set',
     'Fashion-MNIST has 60000 training and 10000 test images of clothing, 28x28 grey pixels in '
     '10 classes; sections 3.6–3.10 and 3.13 train on it.',
     [('3.5', 'scratch', 'data',
       'From scratch: our IDX reader and `FashionMNISTIter`; the data set\'s sizes and value '
       'ranges, one timed pass over the training images, and the first images with their labels.'),
      ('3.5', 'gluon', 'gluon_data',
       'With Gluon, as in the book: a `FashionMNIST` data set with `transform_first(ToTensor())` '
       'and a `DataLoader`; from the same seed both pipelines give identical batches.')]),
    ('sec3_08_activations', '3.8 Multilayer perceptron: activation functions',
     'A hidden layer only helps if a nonlinearity follows it; the book plots ReLU, sigmoid and '
     'tanh and their gradients (computed with autograd).',
     [('3.8', 'scratch', 'activations',
       'From scratch: our activation functions and hand-written derivatives (and the exercise\'s '
       'leaky ReLU, ELU and softplus), plotted, with their largest difference from MXNet\'s.'),
      ('3.8', 'gluon', 'gluon_activations',
       'With Gluon, as in the book: `nd.relu`, `nd.sigmoid`, `nd.tanh` and their gradients from '
       'autograd, with their largest difference from the hand-written ones.')]),
    ('sec3_09_mlp', '3.9–3.10 Multilayer perceptron',
     'One hidden layer of 256 ReLU units between the flattened image and the 10 outputs: '
     'H = relu(X W1 + b1), O = H W2 + b2, trained with cross-entropy.',
     [('3.9', 'scratch', 'scratch',
       '3.9 from scratch: parameters W1, b1, W2, b2 as NDArrays, our own `relu`, Gluon\'s '
       'cross-entropy loss and `train_ch3` with `sgd`.'),
      ('3.10', 'gluon', 'gluon',
       '3.10 with Gluon: `nn.Dense(256, activation=\'relu\')` and `nn.Dense(10)` in a '
       '`Sequential`, trained by a `Trainer`.')]),
    ('sec3_11_model_selection', '3.11 Model selection, underfitting and overfitting',
     'Fitting a third-order polynomial with a cubic model (a good fit), a linear one '
     '(underfitting) and a cubic one on only two examples (overfitting), and watching training '
     'against test loss.',
     [('3.11', 'scratch', 'scratch',
       'From scratch: the three fits with our own linear model and minibatch SGD; each plot '
       'shows training and test loss per epoch on a log scale. Then k-fold cross-validation '
       'picks between the cubic and the linear model without the test set, and the last plot '
       'shows training, test and validation error against the polynomial degree (capacity).'),
      ('3.11', 'gluon', 'gluon',
       'With Gluon, as in the book: `nn.Dense(1)`, `L2Loss` and a `Trainer`.')]),
    ('sec3_12_weight_decay', '3.12 Weight decay',
     'High-dimensional linear regression (200 features, 20 training examples) overfits; adding '
     'lambda/2 ||w||^2 to the loss (weight decay) shrinks w and lowers the test loss.',
     [('3.12', 'scratch', 'scratch',
       'From scratch: the L2 penalty added to the loss, trained without (lambda = 0) and with '
       '(lambda = 3) it.'),
      ('3.12', 'gluon', 'gluon',
       'With Gluon: the penalty through the Trainer\'s `wd` on the weights only.')]),
    ('sec3_13_dropout', '3.13 Dropout',
     'During training dropout zeroes each hidden unit with probability p and scales the rest '
     'by 1/(1-p), so the expected value is unchanged; at test time it does nothing.',
     [('3.13', 'scratch', 'scratch',
       'From scratch: the book\'s `dropout(X, drop_prob)` in 3.9\'s MLP with two hidden layers '
       '(drop_prob1 = 0.2, drop_prob2 = 0.5) on Fashion-MNIST; the result also shows the book\'s '
       'check, `dropout` on X = nd.arange(16).reshape((2, 8)) at p = 0, 0.5 and 1.'),
      ('3.13', 'gluon', 'gluon',
       'With Gluon: `nn.Dropout` layers after each hidden layer.')]),
    ('sec3_14_backprop', '3.14 Forward propagation, backpropagation and computational graphs',
     'Backpropagation applies the chain rule backwards through the computational graph, reusing '
     'the intermediate values stored by the forward pass.',
     [('3.14', 'scratch', 'backprop',
       'From scratch: the gradients of a regularized one-hidden-layer network worked out by '
       'hand (and, as the exercise asks, with biases), checked against autograd and finite '
       'differences; the memory the forward pass keeps; the computational graph.'),
      ('3.14', 'gluon', 'gluon_backprop',
       'With Gluon: the same weights in `nn.Dense` layers, the loss from '
       '`SoftmaxCrossEntropyLoss` and its gradients from autograd, against the hand-written '
       'ones.')]),
    ('sec3_15_initialization', '3.15 Numerical stability and model initialization',
     'Many layers multiply many factors: with every weight 0.2 or 5, the 30th layer\'s output is '
     'X times 0.2^30 ~ 1e-21 (vanishing) or 5^30 ~ 9e20 (exploding). Random initialization '
     'breaks the symmetry between hidden units; MXNet\'s default draws U(-0.07, 0.07), Xavier '
     'U(-sqrt(6/(a+b)), sqrt(6/(a+b))).',
     [('3.15', 'scratch', 'scratch',
       'The book\'s 30-layer example computed; Xavier against MXNet\'s default; then the '
       'chapter\'s own models (3.9\'s MLP, 3.6\'s softmax regression, 3.2\'s linear '
       'regression) started from equal weights, to see which stay symmetric. Two extras from '
       'the English edition (a product of 100 random 4x4 matrices, the sigmoid\'s gradient) are '
       'labelled as such.'),
      ('3.15', 'gluon', 'gluon',
       'The same experiments with the Gluon models re-initialized by MXNet\'s initializers '
       '(`init.Constant`; `init.Xavier` for the comparison).')]),
    ('sec3_16_kaggle_house', '3.16 Kaggle house prices',
     'Predict house prices from 79 features: standardize the numeric features, one-hot encode '
     'the categorical ones, train a linear model with Adam and judge it by the log RMSE in '
     'K-fold cross-validation.',
     [('3.16', 'scratch', 'scratch',
       'A first look at the data (the shapes and a few rows and columns), then from scratch: '
       'the linear model with our own Adam, scored by 5-fold cross-validation, then trained on '
       'all 1460 houses to predict the test set.'),
      ('3.16', 'gluon', 'gluon',
       'With Gluon, as in the book: `nn.Dense(1)`, `L2Loss` and a Trainer with \'adam\'.')]),
]

SETUP = '''%matplotlib inline
import os

import ch3
from ch3.harness.report import compare

QUICK = os.environ.get('CH3_QUICK') == '1'   # quick settings: a subset and 1-2 epochs
OUT = os.path.join('out', 'notebooks', '{stem}')   # figures are saved here and shown inline'''


def _registered():
    try:
        import ch3.harness.registry
        return {s['section']: s for s in ch3.harness.registry.list_sections()}
    except Exception:   # generating without a working install: keep every listed version
        return None


def _steps(steps, registered):
    """Keep the versions the registry has; a section with none of its listed versions (not
    registered yet, or named differently) keeps its first step, run without naming an impl (its
    default version)."""
    kept = []
    for number, impl, variable, text in steps:
        known = registered is None or (number in registered
                                       and impl in registered[number]['impls'])
        if known:
            kept.append((number, impl, variable, text))
        elif not any(n == number and registered is not None and number in registered
                     and i in registered[number]['impls'] for n, i, _, _ in steps) \
                and not any(k[0] == number for k in kept):
            kept.append((number, None, variable, text))
    return kept


def make_notebook(stem, title, intro, steps, registered=None):
    """One topic's notebook: title and introduction, set-up, one run per step, the comparison."""
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell('# %s\n\n%s\n\nEvery step below calls the library (`ch3`); '
                                  'set `CH3_QUICK=1` in the environment for a short run on a '
                                  'subset.' % (title, intro)),
             v4.new_code_cell(SETUP.format(stem=stem))]
    variables, sections = [], []
    for number, impl, variable, text in _steps(steps, registered):
        cells.append(v4.new_markdown_cell(text))
        impl_arg = ", impl='%s'" % impl if impl else ''
        folder = impl or 'default'
        cells.append(v4.new_code_cell(
            "%s = ch3.run_section('%s'%s, quick=QUICK, out=os.path.join(OUT, '%s', '%s'))\n"
            "%s['final']"
            % (variable, number, impl_arg, number, folder, variable)))
        variables.append(variable)
        if number not in sections:
            sections.append(number)
    cells.append(v4.new_markdown_cell('Our final numbers beside the book\'s (the book\'s are for '
                                      'full runs; quick runs are not comparable).'))
    # the training runs (scratch, gluon) side by side; a topic with only demos compares those
    trained = [v for v in variables if v in ('scratch', 'gluon')] or variables
    cells.append(v4.new_code_cell('compare(%s)' % ', '.join(trained)))
    nb = v4.new_notebook(cells=cells)
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3',
                                 'language': 'python'}
    nb.metadata['language_info'] = {'name': 'python'}
    nb.metadata['ch3'] = {'sections': sections}
    return nb


def write_all(folder=HERE):
    """Write every topic's notebook into folder; return the paths."""
    registered = _registered()
    paths = []
    for stem, title, intro, steps in TOPICS:
        nb = make_notebook(stem, title, intro, steps, registered)
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
