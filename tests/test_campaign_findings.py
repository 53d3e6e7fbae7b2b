"""Bugs the generated-graph campaign (tests/campaign.py) found, pinned by hand-made cases."""

from __future__ import annotations

import nir
import numpy as np
import pytest

from nirc.targets.interp.api import simulate


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_affine_with_batched_weight(engine: str):
    """An Affine on shape (2, 1) with weight (2, 1, 1) multiplies each of the 2 rows by
    its own 1x1 matrix (NIR's W @ x broadcasts): W = [[[2]], [[3]]], b = [[1], [0]],
    x = [[1], [1]] gives y = [[3], [3]]; it raised a matmul shape error before."""
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([2, 1])),
                            "fc": nir.Affine(weight=np.array([[[2.0]], [[3.0]]]),
                                             bias=np.array([[1.0], [0.0]])),
                            "output": nir.Output(np.array([2, 1]))},
                     edges=[("input", "fc"), ("fc", "output")], type_check=False)
    x = np.ones((2, 1, 2, 1), np.float32)  # (T, B, 2, 1)
    y = simulate(g, x, engine=engine, keep_batch_axis=True)["output"]
    np.testing.assert_array_equal(y, np.full((2, 1, 2, 1), 3.0))


def test_scale_on_a_scalar_signal():
    """Input of shape () -> Scale(0.5) -> Output: y = 0.5 x; planning turned the 0-d
    scale into shape (1,) (np.ascontiguousarray returns ndim >= 1) and failed."""
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([], np.int64)),
                            "scale": nir.Scale(scale=np.float32(0.5)),
                            "output": nir.Output(np.array([], np.int64))},
                     edges=[("input", "scale"), ("scale", "output")], type_check=False)
    x = np.array([1.0, 0.0, 2.0], np.float32)[:, None]  # (T, B) with a 0-d sample
    y = simulate(g, x, keep_batch_axis=True)["output"]
    np.testing.assert_array_equal(y, [[0.5], [0.0], [1.0]])


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_affine_with_a_scalar_bias(engine: str):
    """An Affine whose bias is 0-d (NIR broadcasts it over the outputs): W = [[1, 2],
    [0, 1], [3, 0]], b = -0.5, x = [1, 1] gives y = [2.5, 0.5, 2.5]; the fast engine's
    sparse row kernel indexed the 0-d bias and failed to compile (campaign seed 101)."""
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([2])),
                            "fc": nir.Affine(weight=np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]]),
                                             bias=np.array(-0.5)),
                            "output": nir.Output(np.array([3]))},
                     edges=[("input", "fc"), ("fc", "output")], type_check=False)
    x = np.zeros((20, 1, 2), np.float32)
    x[::10] = 1.0  # 10% spikes: the fast engine takes its sparse row kernel
    y = simulate(g, x, engine=engine, keep_batch_axis=True)["output"]
    expected = np.where(x[..., :1] > 0, [2.5, 0.5, 2.5], [-0.5, -0.5, -0.5])
    np.testing.assert_allclose(y, expected.astype(np.float32))
