"""Runs of sections 3.9 and 3.10 (the book's code is ch3.book.mlp; other widths and activations
ch3.book.deep_mlp's): Fashion-MNIST for the run,
the JSON result and how closely the two versions agree; quick mode and the kvstore come from the
harness."""
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss

from ch3.book import activations, deep_mlp as book
from ch3.checks import check_activation_name, check_hidden_sizes, check_training_args
from ch3.context import as_ctx_list
from ch3.harness.distributed import DEFAULT_KVSTORE, start_worker
from ch3.harness.results import classifier_result
from ch3.harness.runs import Section
from ch3.harness.runs.data import fashion_mnist_iters, num_train_examples
from ch3.harness.training import train_on_devices

# the from-scratch activation by name; Gluon's Dense computes the same functions by these names
ACTIVATIONS = {'relu': activations.relu, 'sigmoid': nd.sigmoid, 'tanh': nd.tanh}


def _max_abs_diff(a, b):
    return float(nd.abs(a - b).max().asscalar())


def agreement(scratch_net, gluon_net, test_iter, ctx):
    """max |logits of the from-scratch net - logits of the Gluon net| on the first test batch
    (in prediction mode), the two holding the same weights."""
    X, _ = next(iter(test_iter))
    X = X.as_in_context(ctx[0])
    with autograd.predict_mode():
        return _max_abs_diff(scratch_net(X), gluon_net(X))


def _hyperparameters(num_epochs, batch_size, lr, widths, activation, subset):
    return {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
            'num_hiddens': list(widths), 'activation': activation, 'subset': subset}


def run_scratch(ctx=None, out=None, num_epochs=5, batch_size=256, lr=0.5, num_hiddens=256,
                activation='relu', subset=None, verbose=True):
    """3.9 from scratch on Fashion-MNIST (num_hiddens: a width or a list of widths; activation:
    relu, sigmoid or tanh); final adds max |logit difference| from 3.10's Gluon net given the
    trained weights."""
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    widths, activation = check_hidden_sizes(num_hiddens), check_activation_name(activation)
    ctx = as_ctx_list(ctx)
    train_iter, test_iter = fashion_mnist_iters(batch_size, ctx, subset)
    params, history = book.train_scratch(train_iter, test_iter, num_epochs, batch_size, lr,
                                         widths, ACTIVATIONS[activation], ctx[0], verbose)
    twin = book.gluon_net(widths, activation, ctx)
    twin(next(iter(test_iter))[0].as_in_context(ctx[0]))   # finish deferred initialization
    book.load_params(twin, params)
    diff = agreement(lambda X: book.net(X, params, ACTIVATIONS[activation]), twin, test_iter, ctx)
    return classifier_result(_hyperparameters(num_epochs, batch_size, lr, widths, activation,
                                              subset), history,
                             gluon_same_weights_max_abs_logit_diff=diff)


def run_gluon(ctx=None, out=None, num_epochs=5, batch_size=256, lr=0.5, num_hiddens=256,
              activation='relu', subset=None, kvstore=DEFAULT_KVSTORE, verbose=True):
    """3.10 with Gluon on Fashion-MNIST (several devices; kvstore 'dist_sync' in `ch3 launch`
    trains this worker's shard); final adds max |logit difference| from 3.9's net given the
    trained weights."""
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    widths, activation = check_hidden_sizes(num_hiddens), check_activation_name(activation)
    ctx = as_ctx_list(ctx)
    worker = start_worker(kvstore, num_examples=lambda: num_train_examples(subset))
    train_iter, test_iter = fashion_mnist_iters(batch_size, ctx, subset, worker.shard)
    net = book.gluon_net(widths, activation, ctx)
    trainer = worker.trainer(net.collect_params(), 'sgd', {'learning_rate': lr}, batch_size)
    history = train_on_devices(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                               num_epochs, batch_size, trainer, ctx, verbose)
    params = book.gluon_params(net, ctx)
    diff = agreement(lambda X: book.net(X, params, ACTIVATIONS[activation]), net, test_iter, ctx)
    hyperparameters = _hyperparameters(num_epochs, batch_size, lr, widths, activation, subset)
    hyperparameters.update(worker.hyperparameters())
    return classifier_result(hyperparameters, history, scratch_same_weights_max_abs_logit_diff=diff,
                             **worker.summary(net))


def _book_history(rows):
    return [{'epoch': i, 'loss': loss, 'train_acc': train_acc, 'test_acc': test_acc}
            for i, (loss, train_acc, test_acc) in enumerate(rows, 1)]


SOURCE = 'd2l-zh notebooks, commit ea74109'
# the printed lines of the book's runs (5 epochs, batch 256, lr 0.5)
BOOK_SCRATCH_HISTORY = _book_history([(0.7748, 0.710, 0.833), (0.4840, 0.821, 0.849),
                                      (0.4292, 0.840, 0.849), (0.3898, 0.856, 0.864),
                                      (0.3669, 0.864, 0.861)])
BOOK_GLUON_HISTORY = _book_history([(0.7917, 0.708, 0.813), (0.4935, 0.816, 0.849),
                                    (0.4317, 0.840, 0.861), (0.4003, 0.851, 0.860),
                                    (0.3763, 0.860, 0.872)])


def _book(history, name):
    last = history[-1]
    return {'test_acc': last['test_acc'], 'train_acc': last['train_acc'], 'loss': last['loss'],
            'history': history, 'source': SOURCE + ' (%s)' % name}


SECTIONS = [
    Section('3.9', 'Multilayer perceptron from scratch',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='scratch',
            book=_book(BOOK_SCRATCH_HISTORY, 'mlp-scratch.ipynb'), headline='test_acc'),
    Section('3.10', 'Concise multilayer perceptron (Gluon)',
            {'scratch': run_scratch, 'gluon': run_gluon}, default_impl='gluon',
            book=_book(BOOK_GLUON_HISTORY, 'mlp-gluon.ipynb'), headline='test_acc'),
]
