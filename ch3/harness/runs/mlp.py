"""Sections 3.9-3.10: the multilayer perceptron on Fashion-MNIST, from scratch and with Gluon.

With one hidden layer of h units and activation phi (the book: h = 256, phi = ReLU):
    H = phi(X W1 + b1),   O = H W2 + b2,
    X (n, 784), W1 (784, h), b1 (h,), W2 (h, 10), b2 (10,);  more hidden layers repeat the first
    line. Loss: softmax cross-entropy l = -log softmax(O)_y; weights ~ N(0, 0.01^2), biases 0;
    minibatch SGD with batch 256, lr 0.5, 5 epochs.
"""
from mxnet import init, nd
from mxnet.gluon import loss as gloss, nn

from ch3.context import as_ctx_list
from ch3.data.fashion_mnist import load_fashion_mnist_arrays
from ch3.harness.runs.data import fashion_mnist_iters
from ch3.harness.distributed import DEFAULT_KVSTORE, start_worker
from ch3.harness.runs import Section
from ch3.book.activations import get_activation
from ch3.book.training import train_ch3
from ch3.checks import check_int, check_training_args

NUM_INPUTS, NUM_OUTPUTS = 784, 10
QUICK_SUBSET = 6000       # quick=True: the first 6000 images of each split ...
QUICK_EPOCHS = 2          # ... for at most 2 epochs


def hidden_sizes(num_hiddens):
    """3.9: num_hiddens as a tuple of layer widths (an int means one hidden layer)."""
    if isinstance(num_hiddens, (list, tuple)):
        return tuple(check_int('num_hiddens', h, minimum=1) for h in num_hiddens)
    return (check_int('num_hiddens', num_hiddens, minimum=1),)


def check_activation_name(activation):
    """3.9-3.10: return `activation` if it is 'relu', 'sigmoid' or 'tanh', else ValueError."""
    get_activation(activation)
    return activation


# ---------------------------------------------------------------------------------------------
# 3.9 from scratch
# ---------------------------------------------------------------------------------------------

def init_params(num_inputs=NUM_INPUTS, num_hiddens=(256,), num_outputs=NUM_OUTPUTS, ctx=None):
    """3.9: [W1, b1, ..., WL, bL], Wi (fan_in, fan_out) ~ N(0, 0.01^2), bi zeros, with grads."""
    sizes = (check_int('num_inputs', num_inputs, minimum=1),) + hidden_sizes(num_hiddens) \
        + (check_int('num_outputs', num_outputs, minimum=1),)
    device = as_ctx_list(ctx)[0]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(nd.random.normal(scale=0.01, shape=(fan_in, fan_out), ctx=device))
        params.append(nd.zeros(fan_out, ctx=device))
    for param in params:
        param.attach_grad()
    return params


def layers(params):
    """3.9: the flat [W1, b1, ..., WL, bL] as a list of (W, b) pairs."""
    if len(params) < 2 or len(params) % 2:
        raise ValueError('params must be [W1, b1, ..., WL, bL] (an even number >= 2), got %d '
                         'arrays' % len(params))
    return list(zip(params[0::2], params[1::2]))


def net_scratch(X, params, activation='relu'):
    """3.9: logits (n, outputs) of X (n, 1, 28, 28) or (n, 784); activation: name or function."""
    phi = get_activation(activation) if isinstance(activation, str) else activation
    *hidden, (W_out, b_out) = layers(params)
    H = X.reshape((-1, params[0].shape[0]))
    for W, b in hidden:
        H = phi(nd.dot(H, W) + b)
    return nd.dot(H, W_out) + b_out


def scratch_net(params, activation='relu'):
    """3.9: net_scratch bound to params, i.e. the function X -> logits that train_ch3 expects."""
    def net(X):
        return net_scratch(X, params, activation)
    return net


# ---------------------------------------------------------------------------------------------
# 3.10 with Gluon
# ---------------------------------------------------------------------------------------------

def build_gluon_net(num_hiddens=(256,), activation='relu', num_outputs=NUM_OUTPUTS, ctx=None,
                    hybridize=True):
    """3.10: Dense(h, activation) per hidden layer + Dense(outputs), N(0, 0.01^2) weights, on
    every device in ctx; maps (n, 1, 28, 28) or (n, 784) to (n, outputs)."""
    check_activation_name(activation)
    net = nn.HybridSequential()
    for width in hidden_sizes(num_hiddens):
        net.add(nn.Dense(width, activation=activation))
    net.add(nn.Dense(check_int('num_outputs', num_outputs, minimum=1)))
    net.initialize(init.Normal(sigma=0.01), ctx=as_ctx_list(ctx))
    if hybridize:
        net.hybridize(static_alloc=True)
    return net


# ---------------------------------------------------------------------------------------------
# Training (shared with 3.13)
# ---------------------------------------------------------------------------------------------

def load_data(batch_size, contexts, quick=False, num_epochs=5, subset=None, pipeline='fast',
              shard=None):
    """3.9-3.13: (train_iter, test_iter, settings) of Fashion-MNIST for a run; quick keeps the
    first QUICK_SUBSET images of each split and at most QUICK_EPOCHS epochs. settings holds the
    num_epochs, subset and pipeline actually used. shard=(num_parts, index): train on that shard
    of the training images only (a distributed worker's)."""
    if quick:
        subset = min(subset, QUICK_SUBSET) if subset else QUICK_SUBSET
        num_epochs = min(num_epochs, QUICK_EPOCHS)
    # one device: deliver batches there directly; several: keep them on the CPU for splitting
    train_iter, test_iter = fashion_mnist_iters(batch_size, contexts, subset, shard,
                                                pipeline=pipeline)
    return train_iter, test_iter, {'num_epochs': num_epochs, 'subset': subset,
                                   'pipeline': pipeline}


def _num_train_examples(quick, subset):
    """How many training images load_data uses (what a distributed job shards)."""
    if quick:
        subset = min(subset, QUICK_SUBSET) if subset else QUICK_SUBSET
    num_train = len(load_fashion_mnist_arrays(train=True)[1])
    return min(subset or num_train, num_train)


def single_device(contexts):
    """3.9, 3.13: from-scratch params live on one device; return it or raise ValueError."""
    if len(contexts) > 1:
        raise ValueError('the from-scratch version keeps its params on one device, got %s; pass '
                         'one ctx, or use the Gluon version for data-parallel training'
                         % [str(c) for c in contexts])
    return contexts[0]


def classifier_result(hyperparameters, history):
    """3.9-3.13: the section result; final = the last epoch's loss, train_acc, test_acc and the
    mean seconds per epoch."""
    last = history[-1] if history else {}
    final = {key: last.get(key) for key in ('loss', 'train_acc', 'test_acc')}
    final['seconds_per_epoch'] = (sum(h['seconds'] for h in history) / len(history)
                                  if history else None)
    return {'hyperparameters': hyperparameters, 'history': history, 'final': final,
            'figures': []}


def _hyperparameters(settings, batch_size, lr, widths, activation):
    return {'num_epochs': settings['num_epochs'], 'batch_size': batch_size, 'lr': lr,
            'num_hiddens': list(widths), 'activation': activation,
            'subset': settings['subset'], 'pipeline': settings['pipeline']}


def train_scratch(ctx=None, quick=False, out=None, num_epochs=5, batch_size=256, lr=0.5,
                  num_hiddens=256, activation='relu', subset=None, pipeline='fast',
                  verbose=True):
    """3.9: MLP from scratch (init_params + net_scratch, SGD) on Fashion-MNIST.

    num_hiddens: width of the hidden layer, or a tuple of widths for several; activation:
    'relu', 'sigmoid' or 'tanh' (the from-scratch functions of 3.8); subset: use the first
    `subset` images of each split; pipeline: 'fast' or 'gluon' (the book's DataLoader).
    One device only.
    """
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    widths, activation = hidden_sizes(num_hiddens), check_activation_name(activation)
    device = single_device(as_ctx_list(ctx))
    train_iter, test_iter, settings = load_data(batch_size, [device], quick, num_epochs, subset,
                                                pipeline)
    params = init_params(num_hiddens=widths, ctx=device)
    history = train_ch3(scratch_net(params, activation), train_iter, test_iter,
                        gloss.SoftmaxCrossEntropyLoss(), settings['num_epochs'], batch_size,
                        params, lr, ctx=device, verbose=verbose)
    return classifier_result(_hyperparameters(settings, batch_size, lr, widths, activation),
                             history)


def train_gluon(ctx=None, quick=False, out=None, num_epochs=5, batch_size=256, lr=0.5,
                num_hiddens=256, activation='relu', subset=None, pipeline='fast',
                kvstore=DEFAULT_KVSTORE, verbose=True):
    """3.10: the same MLP with nn.Dense layers (hybridized), a Trainer and SGD; any devices.

    num_hiddens: width of the hidden layer, or a tuple of widths for several; activation:
    'relu', 'sigmoid' or 'tanh' (Dense's built-in activations); subset: use the first `subset`
    images of each split; pipeline: 'fast' or 'gluon' (the book's DataLoader); kvstore: MXNet's,
    e.g. 'dist_sync' in a job started by `ch3 launch` (trains on this worker's shard, by rank).
    """
    check_training_args(batch_size=batch_size, lr=lr, num_epochs=num_epochs)
    widths, activation = hidden_sizes(num_hiddens), check_activation_name(activation)
    contexts = as_ctx_list(ctx)
    worker = start_worker(kvstore, num_examples=lambda: _num_train_examples(quick, subset))
    train_iter, test_iter, settings = load_data(batch_size, contexts, quick, num_epochs, subset,
                                                pipeline, shard=worker.shard)
    net = build_gluon_net(widths, activation, ctx=contexts)
    trainer = worker.trainer(net.collect_params(), 'sgd', {'learning_rate': lr}, batch_size)
    history = train_ch3(net, train_iter, test_iter, gloss.SoftmaxCrossEntropyLoss(),
                        settings['num_epochs'], batch_size, trainer=trainer, ctx=contexts,
                        verbose=verbose)
    result = classifier_result(_hyperparameters(settings, batch_size, lr, widths, activation),
                               history)
    result['hyperparameters'].update(worker.hyperparameters())
    result['final'].update(worker.summary(net))
    return result


BOOK_SCRATCH = {'test_acc': 0.863, 'target_test_acc': 0.845,
                'note': "the book's run: epoch 5 test acc 0.863; the notes' own run 0.865"}
BOOK_GLUON = {'test_acc': 0.855, 'target_test_acc': 0.845,
              'note': "the book's run: epoch 5 test acc 0.855"}

SECTIONS = [
    Section('3.9', 'Multilayer perceptron from scratch',
            {'scratch': train_scratch, 'gluon': train_gluon}, default_impl='scratch',
            book=BOOK_SCRATCH),
    Section('3.10', 'Concise multilayer perceptron (Gluon)',
            {'scratch': train_scratch, 'gluon': train_gluon}, default_impl='gluon',
            book=BOOK_GLUON),
]
