"""Input checks for the book layer and the data readers: each public function validates its
arguments with one call here, so the maths reads first. Every error names the value and the fix.
"""
import math
import numbers


MAX_ELEMENTS = 2 ** 31 - 1   # MXNet 1.x indexes an array with 32-bit integers


def check_int(name, value, minimum=None):
    """Return `value` if it is an integer >= minimum, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError('%s must be an integer, got %r' % (name, value))
    if minimum is not None and value < minimum:
        raise ValueError('%s must be >= %d, got %r' % (name, minimum, value))
    return int(value)


def check_positive_float(name, value):
    """Return `value` as float if it is a finite number > 0, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError('%s must be a finite number > 0, got %r' % (name, value))
    return float(value)


def check_training_args(batch_size=None, lr=None, num_epochs=None):
    """Validate the usual hyperparameters at once (None means 'not used here')."""
    if batch_size is not None:
        check_int('batch_size', batch_size, minimum=1)
    if lr is not None:
        check_positive_float('lr', lr)
    if num_epochs is not None:
        check_int('num_epochs', num_epochs, minimum=0)


def check_logits(X, name):
    """ValueError unless X is a non-empty 2-D NDArray (n, classes)."""
    from mxnet import nd
    if not isinstance(X, nd.NDArray):
        raise ValueError('%s expects an NDArray of shape (n, classes), got %s'
                         % (name, type(X).__name__))
    if X.ndim != 2:
        raise ValueError('%s expects a 2-D batch of shape (n, classes), got shape %s; for one '
                         'example use X.reshape((1, -1))' % (name, X.shape))
    if X.size == 0:
        raise ValueError('%s got an empty array of shape %s; it needs at least one row and one '
                         'class' % (name, X.shape))


def check_picked(y_hat, y, name='pick'):
    """ValueError unless y_hat (n, q) and labels y (n,) fit together (shapes only: no host wait)."""
    from mxnet import nd
    check_logits(y_hat, name)
    if not isinstance(y, nd.NDArray) or y.ndim != 1:
        raise ValueError('labels must be a 1-D NDArray (n,), got %s'
                         % (getattr(y, 'shape', type(y).__name__),))
    if y.shape[0] != y_hat.shape[0]:
        raise ValueError('%s got %d rows of predictions but %d labels'
                         % (name, y_hat.shape[0], y.shape[0]))


def check_labels(y, num_classes, name='labels'):
    """ValueError unless y (n,) holds class indices 0..num_classes-1 (nd.pick would silently
    clip the others); waits for y on the host, so call it once, not per batch."""
    from mxnet import nd
    if not isinstance(y, nd.NDArray):
        raise ValueError('%s must be an NDArray of class indices, got %s'
                         % (name, type(y).__name__))
    if y.ndim != 1:
        raise ValueError('%s must be 1-D (n,), got shape %s' % (name, y.shape))
    if y.size == 0:
        return
    values = y.asnumpy()
    lowest, highest = float(values.min()), float(values.max())
    if lowest < 0 or highest >= num_classes:
        bad = lowest if lowest < 0 else highest
        raise ValueError('%s must be class indices 0..%d, got %g; check that the labels match '
                         'the %d outputs of the model' % (name, num_classes - 1, bad, num_classes))


def check_classifier_batch(y_hat, y):
    """ValueError unless y_hat (n, q) scores q >= 2 classes and y (n,) holds class indices 0..q-1;
    waits for y on the host, so call it on a first batch, not per batch."""
    if y_hat.ndim != 2 or y_hat.shape[1] < 2:
        raise ValueError('a classifier needs outputs of shape (n, classes) with at least 2 '
                         'classes, the net gave shape %s; give the net one output per class'
                         % (y_hat.shape,))
    if y.ndim != 1 or y.shape[0] != y_hat.shape[0]:
        raise ValueError('labels must be 1-D (n,) with one per output row (%d), got shape %s; '
                         'use y.reshape((-1,))' % (y_hat.shape[0], y.shape))
    check_labels(y, y_hat.shape[1])


def check_weight_shapes(*shapes):
    """ValueError unless every shape has fewer than 2^31 elements (MXNet's limit, before it tries
    to allocate)."""
    for shape in shapes:
        size = 1
        for dim in shape:
            size *= int(dim)
        if size > MAX_ELEMENTS:
            raise ValueError('an array of shape %s would hold %d elements, more than MXNet can '
                             'index (2^31 - 1); use fewer hidden units' % (tuple(shape), size))


def as_distributions(*arrays):
    """3.4: each argument as a float64 NDArray of probabilities along the last axis (same shapes),
    or ValueError naming what is wrong."""
    import numpy as np
    from mxnet import nd
    names = ('p', 'q')
    values = [v if isinstance(v, nd.NDArray) else nd.array(v, dtype='float64') for v in arrays]
    for name, value in zip(names, values):
        if value.size == 0:
            raise ValueError('%s is empty; a distribution needs at least one outcome' % name)
    if len(values) == 2 and values[0].shape != values[1].shape:
        raise ValueError('p and q must have the same shape, got %s and %s'
                         % (values[0].shape, values[1].shape))
    for name, value in zip(names, values):
        numbers_ = value.asnumpy()
        if (numbers_ < 0).any() or not np.isfinite(numbers_).all():
            raise ValueError('%s must hold probabilities >= 0, got a minimum of %g'
                             % (name, np.nanmin(numbers_)))
        sums = numbers_.sum(axis=-1)
        if not np.allclose(sums, 1, atol=1e-4):
            raise ValueError('each %s must sum to 1 along its last axis, got sums %s'
                             % (name, np.round(sums, 6).ravel()[:5].tolist()))
    return values


def check_resize(resize, batch_size=1):
    """3.5: None, an int >= 1 or a (width, height) pair of them, else ValueError naming it; also
    refused: a batch of batch_size images of that size with more elements than MXNet can index."""
    if resize is None:
        return None
    if isinstance(resize, (tuple, list)):
        if len(resize) != 2:
            raise ValueError('resize must be an int or a (width, height) pair, got %r' % (resize,))
        resize = tuple(check_int('resize', value, minimum=1) for value in resize)
        width, height = resize
    else:
        resize = width = height = check_int('resize', resize, minimum=1)
    if batch_size * width * height > MAX_ELEMENTS:
        raise ValueError('resize=%r makes a batch of %d images of %d x %d pixels, more elements '
                         'than MXNet can index (2^31 - 1); use a smaller resize or batch_size'
                         % (resize, batch_size, width, height))
    return resize


def check_last_batch(last_batch):
    """3.5: 'keep' (the book's: the last, smaller batch is used) or 'discard', else ValueError."""
    if last_batch not in ('keep', 'discard'):
        raise ValueError("last_batch must be 'keep' or 'discard', got %r" % (last_batch,))
    return last_batch


def check_choice(name, value, choices):
    """Return value if it is one of choices, else ValueError listing them."""
    if value not in choices:
        raise ValueError('%s must be %s, got %r'
                         % (name, ' or '.join(repr(c) for c in choices), value))
    return value


# --- 3.9-3.15: the MLP, dropout and initialization -----------------------------------------------

ACTIVATION_NAMES = ('relu', 'sigmoid', 'tanh')   # what Gluon's Dense and the exercises use


def check_hidden_sizes(num_hiddens):
    """3.9: num_hiddens (an int, or a list/tuple for several hidden layers) as a tuple of widths
    >= 1, else ValueError."""
    if isinstance(num_hiddens, (list, tuple)):
        return tuple(check_int('num_hiddens', h, minimum=1) for h in num_hiddens)
    return (check_int('num_hiddens', num_hiddens, minimum=1),)


def check_activation_name(activation):
    """3.10: return `activation` if it is 'relu', 'sigmoid' or 'tanh', else ValueError."""
    if activation not in ACTIVATION_NAMES:
        raise ValueError('activation must be one of %s, got %r'
                         % (', '.join(ACTIVATION_NAMES), activation))
    return activation


def check_layer_params(params):
    """3.9: ValueError unless params is [W1, b1, ..., WL, bL] (an even number >= 2 of arrays)."""
    if len(params) < 2 or len(params) % 2:
        raise ValueError('params must be [W1, b1, ..., WL, bL] (an even number >= 2), got %d '
                         'arrays' % len(params))


def check_drop_prob(drop_prob, name='drop_prob'):
    """3.13: return drop_prob as float if it is a number in [0, 1], else ValueError."""
    if isinstance(drop_prob, bool) or not isinstance(drop_prob, numbers.Real) \
            or not math.isfinite(drop_prob) or not 0 <= drop_prob <= 1:
        raise ValueError('%s must be a probability in [0, 1], got %r' % (name, drop_prob))
    return float(drop_prob)


def check_finite_number(name, value):
    """Return `value` as float if it is a finite real number, else ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError('%s must be a finite number, got %r' % (name, value))
    return float(value)


def check_fit_data(train_features, test_features, train_labels, test_labels):
    """3.11/3.12: ValueError unless features (n, d) and labels (n,) pair up and the train and
    test features have the same columns."""
    if train_features.shape[0] != train_labels.shape[0]:
        raise ValueError('train_features and train_labels differ in length: %d vs %d'
                         % (train_features.shape[0], train_labels.shape[0]))
    if test_features.shape[0] != test_labels.shape[0]:
        raise ValueError('test_features and test_labels differ in length: %d vs %d'
                         % (test_features.shape[0], test_labels.shape[0]))
    if train_features.shape[1:] != test_features.shape[1:]:
        raise ValueError('train and test features differ in shape: %s vs %s'
                         % (train_features.shape, test_features.shape))


def check_nonnegative(name, value):
    """Return `value` as float if it is a finite number >= 0, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or value < 0:
        raise ValueError('%s must be a finite number >= 0 (0 turns it off), got %r'
                         % (name, value))
    return float(value)


def check_house_data(features, labels, name):
    """3.16: ValueError unless features (n, d) and labels (n, 1) are non-empty, equally long and
    the labels positive prices (their logarithm is scored); labels None is accepted."""
    if labels is None:
        return
    if len(features) != len(labels) or len(features) == 0:
        raise ValueError('%s features and labels must be non-empty and equally long, got %d and %d'
                         % (name, len(features), len(labels)))
    if labels.min().asscalar() <= 0:
        raise ValueError('%s labels must be positive prices (their logarithm is scored)' % name)
