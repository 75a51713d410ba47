"""Runs of section 3.13 (the book's code is ch3.book.dropout): the book's dropout examples,
Fashion-MNIST for the run, the JSON result and how closely the two versions agree; quick mode and
the kvstore come from the harness."""
from ch3.book import dropout as book
from mxnet.gluon import loss as gloss

from ch3.book import deep_mlp
from ch3.checks import check_drop_prob, check_int, check_training_args
from ch3.context import as_ctx_list
from ch3.harness.distributed import DEFAULT_KVSTORE, start_worker
from ch3.harness.results import classifier_result
from ch3.harness.runs import Section
from ch3.harness.runs.data import fashion_mnist_iters, num_train_examples
from ch3.harness.runs.mlp import agreement
from ch3.harness.training import train_on_devices


def dropout_examples(verbose=True):
    """3.13: dropout on the book's X = nd.arange(16).reshape((2, 8)) at p = 0, 0.5 and 1, as
    {'X': rows, 'drop_prob=p': rows}; printed when verbose."""
    examples, X = book.dropout_examples()
    result = {'X': X.asnumpy().tolist()}
    for p, out in examples:
        result['drop_prob=%g' % p] = out.asnumpy().tolist()
        if verbose:
            print('dropout(X, %g) =\n%s' % (p, out.asnumpy()))
    return result


def _check(num_epochs, batch_size, lr, num_hiddens1, num_hiddens2, drop_prob1, drop_prob2):
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    check_int('num_hiddens1', num_hiddens1, minimum=1)
    check_int('num_hiddens2', num_hiddens2, minimum=1)
    check_drop_prob(drop_prob1, 'drop_prob1')
    check_drop_prob(drop_prob2, 'drop_prob2')
    return {'num_epochs': num_epochs, 'batch_size': batch_size, 'lr': lr,
            'num_hiddens1': num_hiddens1, 'num_hiddens2': num_hiddens2,
            'drop_prob1': drop_prob1, 'drop_prob2': drop_prob2}


def run_scratch(ctx=None, out=None, num_epochs=5, batch_size=256, lr=0.5, num_hiddens1=256,
                num_hiddens2=256, drop_prob1=0.2, drop_prob2=0.5, subset=None, verbose=True):
    """3.13 from scratch on Fashion-MNIST, then the book's dropout examples; final adds max |logit
    difference| from the Gluon net given the trained weights (prediction mode)."""
    hyperparameters = _check(num_epochs, batch_size, lr, num_hiddens1, num_hiddens2, drop_prob1,
                             drop_prob2)
    ctx = as_ctx_list(ctx)
    train_iter, test_iter = fashion_mnist_iters(batch_size, ctx, subset)
    params, history = book.train_scratch(
        train_iter, test_iter, num_epochs, batch_size, lr, num_hiddens1=num_hiddens1,
        num_hiddens2=num_hiddens2, drop_prob1=drop_prob1, drop_prob2=drop_prob2, ctx=ctx[0],
        verbose=verbose)
    twin = book.gluon_net(num_hiddens1, num_hiddens2, drop_prob1, drop_prob2, ctx)
    twin(next(iter(test_iter))[0].as_in_context(ctx[0]))   # finish deferred initialization
    deep_mlp.load_params(twin, params)
    diff = agreement(lambda X: book.net(X, params, drop_prob1, drop_prob2), twin, test_iter, ctx)
    return classifier_result(dict(hyperparameters, subset=subset), history,
                             gluon_same_weights_max_abs_logit_diff=diff,
                             dropout_examples=dropout_examples(verbose))


def run_gluon(ctx=None, out=None, num_epochs=5, batch_size=256, lr=0.5, num_hiddens1=256,
              num_hiddens2=256, drop_prob1=0.2, drop_prob2=0.5, subset=None,
              kvstore=DEFAULT_KVSTORE, verbose=True):
    """3.13 with Gluon's nn.Dropout on Fashion-MNIST (several devices; kvstore 'dist_sync' in
    `ch3 launch` trains this worker's shard), then the book's dropout examples; final adds max
    |logit difference| from the from-scratch net given the trained weights."""
    hyperparameters = _check(num_epochs, batch_size, lr, num_hiddens1, num_hiddens2, drop_prob1,
                             drop_prob2)
    ctx = as_ctx_list(ctx)
    worker = start_worker(kvstore, num_examples=lambda: num_train_examples(subset))
    train_iter, test_iter = fashion_mnist_iters(batch_size, ctx, subset, worker.shard)
    net = book.gluon_net(num_hiddens1, num_hiddens2, drop_prob1, drop_prob2, ctx)
    trainer = worker.trainer(net.collect_params(), 'sgd', {'learning_rate': lr}, batch_size)
    history = train_on_devices(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                               num_epochs, batch_size, trainer, ctx, verbose)
    params = deep_mlp.gluon_params(net, ctx)
    diff = agreement(lambda X: book.net(X, params, drop_prob1, drop_prob2), net, test_iter, ctx)
    hyperparameters.update(subset=subset, **worker.hyperparameters())
    return classifier_result(hyperparameters, history,
                             scratch_same_weights_max_abs_logit_diff=diff,
                             dropout_examples=dropout_examples(verbose), **worker.summary(net))


def _book_history(rows):
    return [{'epoch': i, 'loss': loss, 'train_acc': train_acc, 'test_acc': test_acc}
            for i, (loss, train_acc, test_acc) in enumerate(rows, 1)]


# the printed lines of the book's runs (5 epochs, batch 256, lr 0.5, drop_prob1 0.2, drop_prob2 0.5)
BOOK_SCRATCH_HISTORY = _book_history([(1.1393, 0.558, 0.773), (0.5797, 0.785, 0.837),
                                      (0.4944, 0.818, 0.849), (0.4488, 0.837, 0.861),
                                      (0.4160, 0.848, 0.863)])
BOOK_GLUON_HISTORY = _book_history([(1.1893, 0.545, 0.777), (0.5879, 0.780, 0.839),
                                    (0.4917, 0.821, 0.852), (0.4520, 0.834, 0.865),
                                    (0.4241, 0.846, 0.860)])
def _book():
    """The book's numbers: the last epoch of each version as scratch_/gluon_ metrics, both
    histories, the source and the one random draw of dropout(X, 0.5) it printed."""
    book = {'source': 'd2l-zh notebooks, commit ea74109 (dropout.ipynb)',
            'dropout_examples_note': "the book's dropout(X, 0.5), one random draw: "
                                     "[[0, 2, 4, 6, 0, 0, 0, 14], [0, 18, 0, 0, 24, 26, 28, 0]]"}
    for impl, history in (('scratch', BOOK_SCRATCH_HISTORY), ('gluon', BOOK_GLUON_HISTORY)):
        book.update({'%s_%s' % (impl, key): history[-1][key]
                     for key in ('test_acc', 'train_acc', 'loss')})
        book['%s_history' % impl] = history
    return book


SECTIONS = [
    Section('3.13', 'Dropout', {'scratch': run_scratch, 'gluon': run_gluon},
            default_impl='scratch', book=_book(), headline='test_acc'),
]
