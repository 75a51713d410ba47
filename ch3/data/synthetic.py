"""Synthetic data sets of sections 3.2, 3.11 and 3.12 (seeded through mx.random)."""
from mxnet import nd


def synthetic_linear_data(true_w, true_b, num_examples, noise=0.01, ctx=None):
    """3.2: features (n, d) ~ N(0, 1), labels (n,) = X w + b + N(0, noise^2)."""
    true_w = nd.array(true_w, ctx=ctx).reshape((-1,))
    features = nd.random.normal(scale=1, shape=(num_examples, true_w.size), ctx=ctx)
    labels = nd.dot(features, true_w) + true_b
    labels += nd.random.normal(scale=noise, shape=labels.shape, ctx=ctx)
    return features, labels
