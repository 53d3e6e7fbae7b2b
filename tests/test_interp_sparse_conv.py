"""Event-driven convolution and compiled pooling of the fast engine (targets/interp/fast_conv.py).

Expected values: the reference kernels (kernels.conv / kernels.pool: PyTorch's
definitions, checked against sinabs and the NIR paper's CNN elsewhere) on the same
inputs; the scatter sums the same products in another order, so float64 results
agree to rounding, and spike-count pooling is exact.
"""

from __future__ import annotations

import numpy as np
import pytest

import nirc
from nirc.targets.interp import fast, fast_conv, kernels
from nirc.targets.interp.plan import Node

GEOMETRIES = [  # c_in, c_out, groups, kernel, stride, padding (before, after), dilation, H, W
    (2, 16, 1, 3, 1, (1, 1), 1, 12, 12),
    (4, 6, 2, 3, 2, (1, 1), 1, 9, 7),
    (3, 3, 3, 2, 1, (0, 0), 2, 8, 8),
    (2, 4, 1, 4, 3, (1, 2), 1, 11, 10),  # 'same'-like: more padding after
    (2, 2, 1, 1, 1, (0, 0), 1, 4, 4),
]


def _conv_node(rng, c_in, c_out, groups, k, stride, pad, dilation, h, w, bias=True):
    out = [(n + pad[0] + pad[1] - dilation * (k - 1) - 1) // stride + 1 for n in (h, w)]
    return Node("conv", "conv", (c_in, h, w), (c_out, *out), {
        "weight": rng.normal(size=(c_out, c_in // groups, k, k)),
        "bias": rng.normal(size=c_out) if bias else None, "stride": (stride, stride),
        "dilation": (dilation, dilation), "padding": [pad, pad], "groups": groups})


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_scatter_equals_im2col_convolution(geometry):
    rng = np.random.default_rng(sum(geometry[:5]))
    node = _conv_node(rng, *geometry, bias=geometry[0] != 3)
    x = (rng.random((5, *node.in_shape)) < 0.2) * rng.integers(1, 4, (5, *node.in_shape))
    np.testing.assert_allclose(fast_conv.conv_sparse(node, x.astype(float)),
                               kernels.conv(node, x.astype(float)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("geometry, pool", [(GEOMETRIES[0], 2), (GEOMETRIES[1], 2), (GEOMETRIES[3], 3),
                                            (GEOMETRIES[4], 4)])
def test_scatter_through_a_sum_pooling_equals_pooling_then_convolution(geometry, pool):
    """The convolution reading through a sum pooling (kernel = stride, no padding): the
    pooling's input rows and columns beyond the last whole window (odd sizes) drop."""
    rng = np.random.default_rng(sum(geometry[:5]) + pool)
    c_in, h, w = geometry[0], geometry[7], geometry[8]
    node = _conv_node(rng, *geometry)
    big = (c_in, h * pool + pool - 1, w * pool + 1)  # not whole windows at the end
    pooling = Node("pool", "pool", big, (c_in, h, w), {
        "kernel": (pool, pool), "stride": (pool, pool), "padding": [(0, 0), (0, 0)], "scale": 1.0})
    assert fast_conv.fusable_pool(pooling)
    x = ((rng.random((6, *big)) < 0.1) * rng.integers(1, 3, (6, *big))).astype(float)
    want = kernels.conv(node, kernels.pool(pooling, x))
    np.testing.assert_allclose(fast_conv.conv_sparse(node, x, pool=pooling), want, rtol=1e-12, atol=1e-12)
    assert np.abs(want).sum() > 0


def test_only_plain_sum_pooling_is_read_through():
    base = {"kernel": (2, 2), "stride": (2, 2), "padding": [(0, 0), (0, 0)], "scale": 1.0}
    for change in ({"scale": 0.25}, {"stride": (1, 1)}, {"padding": [(1, 1), (0, 0)]}):
        node = Node("pool", "pool", (1, 8, 8), (1, 4, 4), {**base, **change})
        assert not fast_conv.fusable_pool(node), change


@pytest.mark.parametrize("k, stride, pad", [(2, 2, 0), (3, 2, 1), (2, 1, 0)])
def test_compiled_pool_equals_window_sums(k, stride, pad):
    rng = np.random.default_rng(k + stride)
    h, w = 9, 8
    out = [(n + 2 * pad - k) // stride + 1 for n in (h, w)]
    for scale in (1.0, 1.0 / (k * k)):
        node = Node("pool", "pool", (3, h, w), (3, *out), {
            "kernel": (k, k), "stride": (stride, stride), "padding": [(pad, pad)] * 2,
            "scale": scale})
        x = ((rng.random((4, 3, h, w)) < 0.3) * rng.integers(1, 3, (4, 3, h, w))).astype(np.float32)
        np.testing.assert_array_equal(fast_conv.pool_sum(node, x), kernels.pool(node, x))


def test_cost_model_scatters_sparse_inputs_and_multiplies_dense_ones():
    """3x3, 8 -> 8 channels on 10x10: im2col + GEMM costs 100*8*72 = 57,600 multiply-adds
    per sample; the scatter 3 (SCATTER_COST) * 9 * 8 = 216 per nonzero input, so it wins
    below 266 nonzeros of 800 (33%)."""
    rng = np.random.default_rng(0)
    node = _conv_node(rng, 8, 8, 1, 3, 1, (1, 1), 1, 10, 10)
    assert fast_conv.dense_cost(node, 1) == 57_600
    assert fast_conv.sparse_cost(node, 1) == 216
    sparse = (rng.random((2, 1, 8, 10, 10)) < 0.25).astype(float)  # (C=2 steps, B=1, ...)
    dense = (rng.random((2, 1, 8, 10, 10)) < 0.45).astype(float)
    assert fast._sparse_conv(node, {}, sparse) is True
    assert fast._sparse_conv(node, {}, dense) is False


def test_spiking_cnn_fast_equals_reference():
    """A conv -> IF -> sum-pool -> conv -> IF -> flatten -> affine -> IF network on sparse
    spikes: the fast engine (scatter for the sparse layers) gives the reference's spikes."""
    import nir

    rng, f = np.random.default_rng(4), np.float64

    def if_(*shape):
        return nir.IF(r=np.ones(shape, f), v_threshold=np.ones(shape, f), v_reset=np.zeros(shape, f))

    def conv(c_out, c_in, size):
        return nir.Conv2d(input_shape=(size, size), weight=rng.normal(0, 1, (c_out, c_in, 3, 3)),
                          stride=1, padding=1, dilation=1, groups=1, bias=np.full(c_out, 0.1))

    graph = nir.NIRGraph.from_list(
        nir.Input(input_type=np.array([2, 10, 10])), conv(4, 2, 10), if_(4, 10, 10),
        nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        conv(6, 4, 5), if_(6, 5, 5), nir.Flatten(input_type={"input": np.array([6, 5, 5])}, start_dim=0),
        nir.Affine(weight=rng.normal(0, 1, (3, 150)), bias=np.zeros(3)), if_(3),
        nir.Output(output_type=np.array([3])))
    x = (rng.random((40, 3, 2, 10, 10)) < 0.1).astype(np.float64)
    ref = nirc.simulate(graph, x, dtype="float64", engine="reference")["output"]
    out = nirc.simulate(graph, x, dtype="float64", engine="fast")["output"]
    np.testing.assert_array_equal(out, ref)
    assert ref.sum() > 0
