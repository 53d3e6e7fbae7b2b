"""Tests of the ``fuse-synapses`` pass.

- semantics: on 200 generated graphs (fuse_graphs.py: dense chains, scales next to
  dense and conv layers, average pooling, flattens, taps, sums, recurrent loops), at
  the nir and at the snn stage, the interpreter gives the same outputs (float64,
  rtol 1e-12) after the pass, the pass removes exactly the ops the generator predicts
  from the structure, the result verifies and exports, and a second run changes
  nothing;
- hand-calculated rewrites: every merged weight and bias below is worked out in the
  comment next to it, never taken from the code under test;
- what is left alone: multi-use intermediates, sums, non-uniform conv scales,
  non-identity flattens, nested graphs, cycles where the rewrite would move a delay.
"""

from __future__ import annotations

import nir
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nirc
from fuse_graphs import fuse_graphs, spike_input
from nirc.dialects.nir_base import NodeOp
from nirc.exporter import export_module, root_graph
from nirc.importer import import_graph
from nirc.ir_text import print_module
from nirc.opt import build_pipeline
from nirc.passes.discretize import discretize_module
from nirc.passes.fuse_synapses import fuse_synapses

SETTINGS = dict(deadline=None, max_examples=200, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- helpers ----------------------------------------------------------------------------
def module_of(nodes: dict, edges: list) -> object:
    module = import_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    module.verify()
    return module


def fused(module):
    """The module after fuse-synapses (in place), verified."""
    fuse_synapses(module)
    module.verify()
    return module


def ops(module) -> dict[str, NodeOp]:
    return {op.node_name.data: op for op in root_graph(module).nodes()}


def kinds(module) -> list[str]:
    return [op.name for op in root_graph(module).nodes()]


def run(module, x, **kw):
    return nirc.simulate(module, x, dtype="float64", engine="reference", **kw)


def assert_same_outputs(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=1e-12, atol=1e-12, err_msg=key)


def f64(*rows):
    return np.array(rows, dtype=np.float64)


def inp(*shape):
    return nir.Input(input_type=np.array(shape))


def out(*shape):
    return nir.Output(output_type=np.array(shape))


def lif(n):
    return nir.LIF(tau=np.full(n, 1e-3), r=np.full(n, 2.0), v_leak=np.zeros(n),
                   v_threshold=np.full(n, 1.0), v_reset=np.zeros(n))


def li(n):
    return nir.LI(tau=np.full(n, 1e-3), r=np.full(n, 2.0), v_leak=np.zeros(n))


def conv2d(weight, bias, groups=1, padding=0):
    weight = np.asarray(weight, dtype=np.float64)
    return nir.Conv2d(input_shape=None, weight=weight, stride=1, padding=padding, dilation=1,
                      groups=groups, bias=np.asarray(bias, dtype=np.float64))


# ---- (a) semantics on generated graphs ----------------------------------------------------
@settings(**SETTINGS)
@given(fuse_graphs(), st.integers(0, 2**31 - 1), st.booleans())
def test_fusion_preserves_outputs_and_removes_the_predicted_ops(case, seed, discretized):
    module = module_of(case.graph.nodes, case.graph.edges)
    if discretized:
        discretize_module(module)
    x = spike_input(np.random.default_rng(seed), 20, 2, case.input_shape)
    before = run(module, x)
    count = len(kinds(module))
    fused(module)
    assert count - len(kinds(module)) == case.removed
    assert "nir.avg_pool2d" not in kinds(module)
    assert_same_outputs(before, run(module, x))
    if not discretized:
        export_module(module)  # still a NIR graph (no edge taken twice)
    once = print_module(module)
    assert print_module(fused(module)) == once  # idempotent


def test_pass_is_registered_and_runs_from_a_pipeline():
    module = module_of({"x": inp(2), "a": nir.Linear(weight=np.eye(2)),
                        "b": nir.Linear(weight=2 * np.eye(2)), "y": out(2)},
                       [("x", "a"), ("a", "b"), ("b", "y")])
    build_pipeline("fuse-synapses").apply(nirc_ctx(), module)
    assert kinds(module) == ["nir.input", "nir.linear", "nir.output"]


def nirc_ctx():
    from nirc.ir_text import make_context

    return make_context()


# ---- (b) hand-calculated rewrites -----------------------------------------------------------
def test_affine_chain_merges_with_hand_computed_weight_and_bias():
    # W2 @ W1 = [[1,0],[0,2],[1,1]] @ [[1,2],[3,4]] = [[1,2],[6,8],[4,6]]
    # W2 @ b1 + b2 = [1-0, 0-2, 1-1] + [0.5, 0, -1] = [1.5, -2, -1]
    module = fused(module_of(
        {"x": inp(2), "a1": nir.Affine(weight=f64([1, 2], [3, 4]), bias=f64(1, -1)),
         "a2": nir.Affine(weight=f64([1, 0], [0, 2], [1, 1]), bias=f64(0.5, 0, -1)), "y": out(3)},
        [("x", "a1"), ("a1", "a2"), ("a2", "y")]))
    assert kinds(module) == ["nir.input", "nir.affine", "nir.output"]
    op = ops(module)["a2"]  # the outer op's name survives
    np.testing.assert_array_equal(op.array("weight"), f64([1, 2], [6, 8], [4, 6]))
    np.testing.assert_array_equal(op.array("bias"), f64(1.5, -2, -1))
    assert op.results[0].name_hint == "a2"


@pytest.mark.parametrize("first, second, kind, bias", [
    ("linear", "linear", "nir.linear", None),
    ("linear", "affine", "nir.affine", [5.0, 6.0]),     # b = b2
    ("affine", "linear", "nir.affine", [-1.0, 3.0]),    # b = W2 @ [1, 1] = [1-2, 3+0]
])
def test_linear_and_affine_combinations(first, second, kind, bias):
    w1, w2 = f64([2, 0], [0, 3]), f64([1, -2], [3, 0])
    layer1 = nir.Linear(weight=w1) if first == "linear" else nir.Affine(weight=w1, bias=f64(1, 1))
    layer2 = nir.Linear(weight=w2) if second == "linear" else nir.Affine(weight=w2, bias=f64(5, 6))
    module = fused(module_of({"x": inp(2), "l1": layer1, "l2": layer2, "y": out(2)},
                             [("x", "l1"), ("l1", "l2"), ("l2", "y")]))
    op = ops(module)["l2"]
    assert op.name == kind
    # W2 @ W1 = [[1*2, -2*3], [3*2, 0]] = [[2, -6], [6, 0]]
    np.testing.assert_array_equal(op.array("weight"), f64([2, -6], [6, 0]))
    if bias is not None:
        np.testing.assert_array_equal(op.array("bias"), bias)


def test_three_dense_layers_and_scales_become_one_affine():
    # Scale [2, 1] -> Linear [[1,1]] -> Affine [[3]] + [1] -> Scale [-1]:
    # W = -1 * 3 * [[1,1]] * diag([2,1]) = [[-6, -3]], b = -1 * 1 = [-1]
    module = fused(module_of(
        {"x": inp(2), "s1": nir.Scale(scale=f64(2, 1)), "l": nir.Linear(weight=f64([1, 1])),
         "a": nir.Affine(weight=f64([3]), bias=f64(1)), "s2": nir.Scale(scale=f64(-1)),
         "y": out(1)},
        [("x", "s1"), ("s1", "l"), ("l", "a"), ("a", "s2"), ("s2", "y")]))
    assert kinds(module) == ["nir.input", "nir.affine", "nir.output"]
    op = ops(module)["s2"]
    np.testing.assert_array_equal(op.array("weight"), f64([-6, -3]))
    np.testing.assert_array_equal(op.array("bias"), f64(-1))


def test_scale_after_affine_and_before_linear():
    # after:  diag([2, -1]) @ [[1,2],[3,4]] = [[2,4],[-3,-4]], b' = [2*1, -1*1] = [2, -1]
    # before: [[1,2],[3,4]] @ diag([2, 0.5]) = [[2,1],[6,2]]
    module = fused(module_of(
        {"x": inp(2), "a": nir.Affine(weight=f64([1, 2], [3, 4]), bias=f64(1, 1)),
         "s": nir.Scale(scale=f64(2, -1)), "n": lif(2), "t": nir.Scale(scale=f64(2, 0.5)),
         "l": nir.Linear(weight=f64([1, 2], [3, 4])), "y": out(2)},
        [("x", "a"), ("a", "s"), ("s", "n"), ("n", "t"), ("t", "l"), ("l", "y")]))
    assert kinds(module) == ["nir.input", "nir.affine", "nir.lif", "nir.linear", "nir.output"]
    np.testing.assert_array_equal(ops(module)["s"].array("weight"), f64([2, 4], [-3, -4]))
    np.testing.assert_array_equal(ops(module)["s"].array("bias"), f64(2, -1))
    np.testing.assert_array_equal(ops(module)["l"].array("weight"), f64([2, 1], [6, 2]))


def test_scale_folds_into_conv_per_output_channel_only_when_uniform():
    # weight [1], [2] (2 out channels, 1x1 kernel), bias [1, 1], scale 3 on channel 0,
    # -1 on channel 1 over 2x2: weight [3], [-2], bias [3, -1]
    s = np.stack([np.full((2, 2), 3.0), np.full((2, 2), -1.0)])
    nodes = {"x": inp(1, 2, 2), "c": conv2d([[[[1.0]]], [[[2.0]]]], [1, 1]),
             "s": nir.Scale(scale=s), "y": out(2, 2, 2)}
    edges = [("x", "c"), ("c", "s"), ("s", "y")]
    module = fused(module_of(nodes, edges))
    assert kinds(module) == ["nir.input", "nir.conv2d", "nir.output"]
    op = ops(module)["s"]
    np.testing.assert_array_equal(op.array("weight").reshape(-1), f64(3, -2))
    np.testing.assert_array_equal(op.array("bias"), f64(3, -1))
    s[0, 1, 1] = 4.0  # no longer one value per channel: left alone
    nodes["s"] = nir.Scale(scale=s)
    assert "nir.scale" in kinds(fused(module_of(nodes, edges)))


def test_scale_before_grouped_conv_scales_each_groups_input_channel():
    # groups=2, 2 in channels, 4 out channels: outputs 0,1 read channel 0 (scale 10),
    # outputs 2,3 read channel 1 (scale 100): weight [1,2,3,4] -> [10, 20, 300, 400]
    s = np.stack([np.full((3, 3), 10.0), np.full((3, 3), 100.0)])
    nodes = {"x": inp(2, 3, 3), "s": nir.Scale(scale=s),
             "c": conv2d(np.arange(1.0, 5.0).reshape(4, 1, 1, 1), [0, 0, 0, 0], groups=2,
                         padding=1),
             "y": out(4, 5, 5)}
    module = module_of(nodes, [("x", "s"), ("s", "c"), ("c", "y")])
    x = spike_input(np.random.default_rng(1), 5, 2, (2, 3, 3))
    before = run(module, x)
    fused(module)
    weight = ops(module)["c"].array("weight").reshape(-1)
    np.testing.assert_array_equal(weight, f64(10, 20, 300, 400))
    assert_same_outputs(before, run(module, x))


def test_avg_pool_with_padding_counts_padded_zeros_and_becomes_sum_pool_and_scale():
    # input [[1,2],[3,4]], 2x2 windows, stride 1, padding 1: window sums
    # [[1,3,2],[4,10,6],[3,7,4]], divided by 4 also at the border (padded zeros count)
    module = module_of({"x": inp(1, 2, 2), "p": nir.AvgPool2d(kernel_size=np.array([2, 2]),
                        stride=np.array([1, 1]), padding=np.array([1, 1])), "y": out(1, 3, 3)},
                       [("x", "p"), ("p", "y")])
    x = f64([1, 2], [3, 4]).reshape(1, 1, 1, 2, 2)
    expected = f64([1, 3, 2], [4, 10, 6], [3, 7, 4]).reshape(1, 1, 1, 3, 3) / 4
    np.testing.assert_array_equal(run(module, x)["y"], expected)
    fused(module)
    assert kinds(module) == ["nir.input", "nir.sum_pool2d", "nir.scale", "nir.output"]
    assert ops(module)["p_sum"].array("padding").tolist() == [1, 1]
    np.testing.assert_array_equal(ops(module)["p"].array("scale"), np.full((1, 3, 3), 0.25))
    np.testing.assert_array_equal(run(module, x)["y"], expected)


def test_avg_pool_scale_folds_through_flatten_into_the_next_linear():
    # kernel 2x1 (1/2), then Flatten and Linear [[1, 2, 3]] -> [[0.5, 1, 1.5]]
    module = fused(module_of(
        {"x": inp(1, 2, 3),
         "p": nir.AvgPool2d(kernel_size=np.array([2, 1]), stride=np.array([1, 1]),
                            padding=np.array([0, 0])),
         "f": nir.Flatten(input_type={"input": np.array([1, 1, 3])}, start_dim=0, end_dim=-1),
         "l": nir.Linear(weight=f64([1, 2, 3])), "y": out(1)},
        [("x", "p"), ("p", "f"), ("f", "l"), ("l", "y")]))
    assert kinds(module) == ["nir.input", "nir.sum_pool2d", "nir.flatten", "nir.linear",
                             "nir.output"]
    assert ops(module)["p"].name == "nir.sum_pool2d"
    np.testing.assert_array_equal(ops(module)["l"].array("weight"), f64([0.5, 1, 1.5]))


def test_identity_flattens_are_dropped_and_a_real_reshape_stays():
    nodes = {"x": inp(3),
             "f": nir.Flatten(input_type={"input": np.array([3])}, start_dim=0, end_dim=0),
             "l": nir.Linear(weight=np.eye(3)), "i2": inp(2, 3),
             "g": nir.Flatten(input_type={"input": np.array([2, 3])}, start_dim=1, end_dim=1),
             "h": nir.Flatten(input_type={"input": np.array([2, 3])}, start_dim=0, end_dim=1),
             "a": nir.Affine(weight=np.ones((1, 6)), bias=f64(0)), "y": out(3), "z": out(1)}
    module = fused(module_of(nodes, [("x", "f"), ("f", "l"), ("l", "y"), ("i2", "g"), ("g", "h"),
                                     ("h", "a"), ("a", "z")]))
    # (2,3) -> (6,) feeds a dense op that needs a 1-d input: it stays
    assert sorted(ops(module)) == ["a", "h", "i2", "l", "x", "y", "z"]
    assert ops(module)["l"].operands[0].owner is ops(module)["x"]


def test_float32_stays_float32_and_float64_wins():
    w32, w64 = np.eye(2, dtype=np.float32) * 3, np.eye(2) * 0.5
    for w2, want in ((w32, np.float32), (w64, np.float64)):
        module = fused(module_of({"x": inp(2), "a": nir.Linear(weight=w32),
                                  "b": nir.Linear(weight=w2), "y": out(2)},
                                 [("x", "a"), ("a", "b"), ("b", "y")]))
        assert ops(module)["b"].array("weight").dtype == want
    ints = fused(module_of({"x": inp(1), "a": nir.Linear(weight=np.array([[2]])),
                            "b": nir.Linear(weight=np.array([[3]])), "y": out(1)},
                           [("x", "a"), ("a", "b"), ("b", "y")]))
    assert ops(ints)["b"].array("weight").tolist() == [[6]]
    assert ops(ints)["b"].array("weight").dtype == np.int64


# ---- what is left alone ---------------------------------------------------------------------
def test_multi_use_intermediate_and_sums_are_not_merged():
    nodes = {"x": inp(2), "a": nir.Linear(weight=np.eye(2)), "b": nir.Linear(weight=2 * np.eye(2)),
             "tap": out(2), "c": nir.Linear(weight=np.eye(2)), "d": nir.Linear(weight=np.eye(2)),
             "y": out(2), "s": nir.Scale(scale=f64(2, 2)), "z": out(2)}
    edges = [("x", "a"), ("a", "b"), ("a", "tap"), ("b", "y"),    # a has two uses
             ("x", "c"), ("c", "d"), ("x", "d"), ("d", "z"),       # d sums c and x
             ("x", "s"), ("s", "z")]                                # z sums s and d
    module = fused(module_of(nodes, edges))
    assert sorted(ops(module)) == sorted(nodes)


def test_nested_graph_is_left_alone_and_root_ops_are_fused():
    sub = nir.NIRGraph(nodes={"i": inp(2), "p": nir.Linear(weight=np.eye(2)),
                              "q": nir.Linear(weight=np.eye(2)), "o": out(2)},
                       edges=[("i", "p"), ("p", "q"), ("q", "o")], type_check=False)
    module = fused(module_of({"x": inp(2), "a": nir.Linear(weight=np.eye(2)),
                              "b": nir.Linear(weight=np.eye(2)), "sub": sub, "y": out(2)},
                             [("x", "a"), ("a", "b"), ("b", "sub"), ("sub", "y")]))
    assert sorted(ops(module)) == ["b", "sub", "x", "y"]
    inner = [op.node_name.data for op in ops(module)["sub"].nodes()]
    assert sorted(inner) == ["i", "o", "p", "q"]


def _loop_graph(v: str, u: str) -> tuple[dict, list]:
    """in -> e; e -> a1 -> a2 -> v; e -> p -> u -> v; v -> back -> e (one SCC of LI
    neurons, whose outputs show any change of delay).

    Ranks from the entry e: e 0, a1 1, p 1, a2 2, u 2, v 3, back 4; merging a1 and a2
    gives v rank 2 = u's rank, so u -> v is then delayed iff name(v) <= name(u).
    """
    rng = np.random.default_rng(3)
    nodes = {"in": inp(2), "fc": nir.Linear(weight=rng.normal(0, 2, (2, 2))), "e": li(2),
             "a1": nir.Linear(weight=rng.normal(0, 2, (2, 2))),
             "a2": nir.Linear(weight=rng.normal(0, 2, (2, 2))),
             "p": nir.Linear(weight=rng.normal(0, 2, (2, 2))), u: li(2), v: li(2),
             "back": nir.Linear(weight=rng.normal(0, 1, (2, 2))), "out": out(2)}
    edges = [("in", "fc"), ("fc", "e"), ("e", "a1"), ("a1", "a2"), ("a2", v), ("e", "p"),
             ("p", u), (u, v), (v, "back"), ("back", "e"), (v, "out")]
    return nodes, edges


@pytest.mark.parametrize("v, u, merged", [("z_v", "p_u", True), ("m_v", "p_u", False)])
def test_cycle_merges_only_where_the_cycle_rule_delays_the_same_edges(v, u, merged):
    nodes, edges = _loop_graph(v, u)
    module = module_of(nodes, edges)
    x = spike_input(np.random.default_rng(4), 30, 2, (2,))
    before = run(module, x)
    fused(module)
    assert ("a1" not in ops(module)) == merged
    assert_same_outputs(before, run(module, x))
    # the merge that was refused would indeed change the outputs
    nodes["a2"] = nir.Linear(weight=nodes["a2"].weight @ nodes["a1"].weight)
    del nodes["a1"]
    edges = [("e", "a2") if e == ("e", "a1") else e for e in edges if e != ("a1", "a2")]
    by_hand = run(module_of(nodes, edges), x)["out"]
    assert np.allclose(by_hand, before["out"]) == merged


def test_recurrent_linear_and_scale_fold_into_one_linear():
    # lif -> rec (Linear [[1,2],[3,4]]) -> s (Scale [0.5, -1]) -> lif:
    # one Linear named s with [[0.5, 1], [-3, -4]]
    nodes = {"x": inp(2), "fc": nir.Linear(weight=f64([2, 0], [0, 2])), "n": lif(2),
             "rec": nir.Linear(weight=f64([1, 2], [3, 4])), "s": nir.Scale(scale=f64(0.5, -1)),
             "y": out(2)}
    module = module_of(nodes, [("x", "fc"), ("fc", "n"), ("n", "rec"), ("rec", "s"), ("s", "n"),
                               ("n", "y")])
    x = spike_input(np.random.default_rng(5), 40, 2, (2,))
    before = run(module, x)
    fused(module)
    assert sorted(ops(module)) == ["fc", "n", "s", "x", "y"]
    np.testing.assert_array_equal(ops(module)["s"].array("weight"), f64([0.5, 1], [-3, -4]))
    assert_same_outputs(before, run(module, x))
