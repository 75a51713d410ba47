"""Devices (section 4.6 of the book, used throughout chapter 3): try_gpu and one context parser."""
import re

import mxnet as mx

GPU_PACKAGE_HINT = ('this MXNet build has no CUDA support: uninstall mxnet and install the GPU '
                    'wheel matching your CUDA, e.g. pip install mxnet-cu117==1.9.1 (CUDA 11.7)')


def num_gpus():
    """Number of GPUs MXNet can use (0 on a CPU-only build)."""
    try:
        return mx.context.num_gpus()
    except mx.base.MXNetError:
        return 0


def has_cuda_build():
    """True when the installed MXNet wheel was built with CUDA."""
    return mx.runtime.Features().is_enabled('CUDA')


def try_gpu(i=0):
    """Return mx.gpu(i) if it exists, else mx.cpu()."""
    return mx.gpu(i) if num_gpus() > i else mx.cpu()


def try_all_gpus():
    """Return every GPU, or [mx.cpu()] when there is none."""
    return [mx.gpu(i) for i in range(num_gpus())] or [mx.cpu()]


_DEVICE = re.compile(r'^(cpu|gpu)(?:[:(](\d+)\)?)?$')


def _parse_one(text):
    match = _DEVICE.match(text.strip().lower())
    if not match:
        raise ValueError("unknown device %r: use cpu, gpu, gpu:1 or a comma list such as "
                         "cpu:0,cpu:1" % text)
    kind, index = match.group(1), int(match.group(2) or 0)
    if kind == 'cpu':
        return mx.cpu(index)
    if not has_cuda_build():
        raise ValueError('device %r asked for, but %s' % (text, GPU_PACKAGE_HINT))
    if index >= num_gpus():
        raise ValueError('device %r asked for, but MXNet sees %d GPU(s)' % (text, num_gpus()))
    return mx.gpu(index)


def parse_ctx(spec):
    """Turn 'cpu', 'gpu', 'gpu:1', 'cpu:0,cpu:1' (or a Context/list) into a list of Contexts."""
    if spec is None:
        return [mx.cpu()]
    if isinstance(spec, mx.Context):
        spec = [spec]
    if isinstance(spec, str):
        parts = [p for p in spec.split(',') if p.strip()]
        if not parts:
            raise ValueError('empty device list %r' % spec)
        contexts = [_parse_one(p) for p in parts]
    else:
        contexts = list(spec)
        for c in contexts:
            if not isinstance(c, mx.Context):
                raise ValueError('not a device: %r (use mx.cpu(), mx.gpu(i) or a string)' % (c,))
    if len(set(contexts)) != len(contexts):
        raise ValueError('device list %r names a device twice' % (spec,))
    return contexts


def as_ctx_list(ctx):
    """Normalise None / one Context / a list / a string to a list of Contexts."""
    return parse_ctx(ctx)


def ctx_names(ctx):
    """Contexts as strings for JSON output, e.g. ['cpu(0)']."""
    return [str(c) for c in as_ctx_list(ctx)]


def split_batch(X, y, ctx):
    """Split one batch across the contexts (book's split_and_load); one context just moves it."""
    contexts = as_ctx_list(ctx)
    if len(contexts) == 1:
        return [X.as_in_context(contexts[0])], [y.as_in_context(contexts[0])]
    return (mx.gluon.utils.split_and_load(X, contexts, even_split=False),
            mx.gluon.utils.split_and_load(y, contexts, even_split=False))
