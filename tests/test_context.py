import mxnet as mx
import pytest
from mxnet import nd

from ch3.context import as_ctx_list, ctx_names, parse_ctx, split_batch, try_all_gpus, try_gpu


def test_parse_cpu_forms():
    assert parse_ctx('cpu') == [mx.cpu(0)]
    assert parse_ctx('cpu:0,cpu:1') == [mx.cpu(0), mx.cpu(1)]
    assert parse_ctx('cpu(1)') == [mx.cpu(1)]
    assert parse_ctx(None) == [mx.cpu()]
    assert parse_ctx(mx.cpu(1)) == [mx.cpu(1)]
    assert ctx_names([mx.cpu(0), mx.cpu(1)]) == ['cpu(0)', 'cpu(1)']


@pytest.mark.parametrize('spec', ['tpu', 'cpu:x', '', 'cpu,cpu'])
def test_bad_device_strings(spec):
    with pytest.raises(ValueError):
        parse_ctx(spec)


def test_gpu_on_cpu_build_names_the_package():
    if mx.runtime.Features().is_enabled('CUDA'):
        pytest.skip('this MXNet has CUDA')
    with pytest.raises(ValueError, match='mxnet-cu117==1.9.1'):
        parse_ctx('gpu:0')


def test_try_gpu_falls_back_to_cpu():
    if mx.context.num_gpus() == 0:
        assert try_gpu() == mx.cpu()
        assert try_all_gpus() == [mx.cpu()]


def test_split_batch_over_two_cpus_keeps_every_row():
    X = nd.arange(10).reshape((5, 2))
    y = nd.arange(5)
    Xs, ys = split_batch(X, y, as_ctx_list('cpu:0,cpu:1'))
    assert [x.context for x in Xs] == [mx.cpu(0), mx.cpu(1)]
    assert nd.concat(*[x.as_in_context(mx.cpu()) for x in Xs], dim=0).asnumpy().tolist() == \
        X.asnumpy().tolist()
    assert sum(part.shape[0] for part in ys) == 5
