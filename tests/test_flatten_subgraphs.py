"""Tests of the ``flatten-subgraphs`` pass.

Each test builds a NIR graph with nested NIRGraphs, imports it, flattens it, exports
it and compares the node names and edges with a set written by hand, and checks that
every parameter array moved unchanged (values and dtype).
"""

from __future__ import annotations

import dataclasses

import nir
import numpy as np
import pytest
from xdsl.utils.exceptions import PassFailedException

from nirc.dialects.nir import GraphOp
from nirc.dialects.nir_graph import node_name_of
from nirc.exporter import export_module
from nirc.importer import import_graph
from nirc.ir_text import make_context, parse_module, print_module
from nirc.passes.flatten_subgraphs import FlattenSubgraphs

RNG = np.random.default_rng(0)


# ---- node factories (random parameters, so a mix-up is visible) -----------------------
def inp(n=3):
    return nir.Input(np.array([n]))


def out(n=3):
    return nir.Output(np.array([n]))


def lif(n=3, dtype=np.float32):
    a = lambda lo: (lo + RNG.random(n)).astype(dtype)  # noqa: E731
    return nir.LIF(tau=a(0.01), r=a(1), v_leak=a(0), v_threshold=a(1), v_reset=a(0))


def lin(n_out=3, n_in=3, dtype=np.float64):
    return nir.Linear(weight=RNG.standard_normal((n_out, n_in)).astype(dtype))


def aff(n_out=3, n_in=2):
    return nir.Affine(weight=RNG.standard_normal((n_out, n_in)).astype(np.float32),
                      bias=RNG.standard_normal(n_out).astype(np.float32))


def graph(nodes, edges, **kw):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False, **kw)


# ---- helpers --------------------------------------------------------------------------
def flatten(g: nir.NIRGraph):
    module = import_graph(g)
    module.verify()
    FlattenSubgraphs().apply(make_context(), module)
    module.verify()
    return module, export_module(module)


def node_names(module) -> list[str]:
    return [node_name_of(op) for op in module.walk() if node_name_of(op) is not None]


def check(g, expected_nodes: dict, expected_edges: set):
    """Flatten ``g``; the result must have exactly ``expected_nodes`` (flat name ->
    the original node object) and ``expected_edges``.  Returns the module."""
    module, flat = flatten(g)
    assert not [op for op in module.walk() if isinstance(op, GraphOp) and op.is_nested]
    names = node_names(module)
    assert len(names) == len(set(names)), names
    assert set(flat.nodes) == set(expected_nodes)
    assert not any(isinstance(n, nir.NIRGraph) for n in flat.nodes.values())
    assert len(flat.edges) == len(set(flat.edges)), flat.edges
    assert set(flat.edges) == expected_edges
    for name, original in expected_nodes.items():
        got = flat.nodes[name]
        assert type(got) is type(original), name
        for f in dataclasses.fields(original):
            want = getattr(original, f.name)
            if isinstance(want, np.ndarray):
                have = getattr(got, f.name)
                assert have.dtype == want.dtype, (name, f.name)
                assert np.array_equal(have, want), (name, f.name)
    return module


# ---- tests ----------------------------------------------------------------------------
def test_one_level_unqualified_ports():
    n = {"in": inp(), "lif": lif(), "out": out()}
    sub = graph(n, [("in", "lif"), ("lif", "out")])
    p = {"input": inp(2), "fc": aff(), "sub": sub, "output": out()}
    g = graph(p, [("input", "fc"), ("fc", "sub"), ("sub", "output")])
    check(g, {"input": p["input"], "fc": p["fc"], "sub.lif": n["lif"], "output": p["output"]},
          {("input", "fc"), ("fc", "sub.lif"), ("sub.lif", "output")})


def test_two_levels():
    n2 = {"in": inp(), "lif": lif(), "out": out()}
    inner = graph(n2, [("in", "lif"), ("lif", "out")])
    n1 = {"in": inp(), "inner": inner, "rec": lin(), "out": out()}
    outer = graph(n1, [("in", "inner"), ("inner", "rec"), ("rec", "out")])
    p = {"input": inp(2), "fc": aff(), "outer": outer, "output": out()}
    g = graph(p, [("input", "fc"), ("fc", "outer"), ("outer", "output")])
    check(g, {"input": p["input"], "fc": p["fc"], "outer.inner.lif": n2["lif"],
              "outer.rec": n1["rec"], "output": p["output"]},
          {("input", "fc"), ("fc", "outer.inner.lif"), ("outer.inner.lif", "outer.rec"),
           ("outer.rec", "output")})


def test_three_levels():
    n3 = {"in": inp(), "lif": lif(), "out": out()}
    c = graph(n3, [("in", "lif"), ("lif", "out")])
    b = graph({"in": inp(), "c": c, "out": out()}, [("in", "c"), ("c", "out")])
    a = graph({"in": inp(), "b": b, "out": out()}, [("in", "b"), ("b", "out")])
    p = {"input": inp(), "a": a, "output": out()}
    g = graph(p, [("input", "a"), ("a", "output")])
    check(g, {"input": p["input"], "a.b.c.lif": n3["lif"], "output": p["output"]},
          {("input", "a.b.c.lif"), ("a.b.c.lif", "output")})


def test_two_inputs_two_outputs_qualified_ports_and_output_fan_in():
    n = {"in1": inp(), "in2": inp(), "l1": lin(), "l2": lin(), "out1": out(), "out2": out()}
    sub = graph(n, [("in1", "l1"), ("in2", "l2"), ("l1", "out1"), ("l2", "out2"), ("l1", "out2")])
    p = {"input": inp(2), "fa": aff(), "fb": aff(), "sub": sub, "oa": out(), "ob": out()}
    g = graph(p, [("input", "fa"), ("input", "fb"), ("fa", "sub.in1"), ("fb", "sub.in2"),
                  ("sub.out1", "oa"), ("sub.out2", "ob")])
    expected = {k: p[k] for k in ("input", "fa", "fb", "oa", "ob")}
    expected |= {"sub.l1": n["l1"], "sub.l2": n["l2"]}
    check(g, expected, {("input", "fa"), ("input", "fb"), ("fa", "sub.l1"), ("fb", "sub.l2"),
                        ("sub.l1", "oa"), ("sub.l2", "ob"), ("sub.l1", "ob")})


def test_output_with_fan_in_two_feeds_a_node_and_input_with_two_consumers():
    n = {"in": inp(), "a": lin(), "b": lin(), "out": out()}
    sub = graph(n, [("in", "a"), ("in", "b"), ("a", "out"), ("b", "out")])
    p = {"input": inp(2), "fc": aff(), "sub": sub, "lif": lif(), "output": out()}
    g = graph(p, [("input", "fc"), ("fc", "sub"), ("sub", "lif"), ("lif", "output")])
    expected = {k: p[k] for k in ("input", "fc", "lif", "output")} | {"sub.a": n["a"], "sub.b": n["b"]}
    check(g, expected, {("input", "fc"), ("fc", "sub.a"), ("fc", "sub.b"), ("sub.a", "lif"),
                        ("sub.b", "lif"), ("lif", "output")})


def test_recurrent_edge_inside_subgraph():
    n = {"in": inp(), "lif": lif(), "rec": lin(), "out": out()}
    sub = graph(n, [("in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")])
    p = {"input": inp(), "sub": sub, "output": out()}
    g = graph(p, [("input", "sub"), ("sub", "output")])
    check(g, {"input": p["input"], "sub.lif": n["lif"], "sub.rec": n["rec"], "output": p["output"]},
          {("input", "sub.lif"), ("sub.lif", "sub.rec"), ("sub.rec", "sub.lif"),
           ("sub.lif", "output")})


def test_cycle_through_the_boundary():
    n = {"in": inp(), "lif": lif(), "out": out()}
    sub = graph(n, [("in", "lif"), ("lif", "out")])
    p = {"input": inp(2), "fc": aff(), "sub": sub, "output": out()}
    g = graph(p, [("input", "fc"), ("fc", "sub"), ("sub", "sub"), ("sub", "output")])
    check(g, {"input": p["input"], "fc": p["fc"], "sub.lif": n["lif"], "output": p["output"]},
          {("input", "fc"), ("fc", "sub.lif"), ("sub.lif", "sub.lif"), ("sub.lif", "output")})


def test_cycle_through_the_boundary_with_named_ports():
    # The sub's output "out" is fed back into its own input "in" (also reached as "sub").
    n = {"in": inp(), "lif": lif(), "rec": lin(), "out": out()}
    sub = graph(n, [("in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")])
    p = {"input": inp(2), "fc": aff(), "sub": sub, "output": out()}
    g = graph(p, [("input", "fc"), ("fc", "sub"), ("sub.out", "output"), ("sub", "sub.in")])
    expected = {k: p[k] for k in ("input", "fc", "output")} | {"sub.lif": n["lif"], "sub.rec": n["rec"]}
    check(g, expected, {("input", "fc"), ("fc", "sub.lif"), ("sub.lif", "sub.lif"),
                        ("sub.rec", "sub.lif"), ("sub.lif", "sub.rec"), ("sub.lif", "output")})


def test_input_node_with_internal_incoming_edge():
    n = {"in": inp(), "lif": lif(), "rec": lin(), "out": out()}
    sub = graph(n, [("in", "lif"), ("lif", "rec"), ("rec", "in"), ("lif", "out")])
    p = {"input": inp(), "sub": sub, "output": out()}
    g = graph(p, [("input", "sub"), ("sub", "output")])
    check(g, {"input": p["input"], "sub.lif": n["lif"], "sub.rec": n["rec"], "output": p["output"]},
          {("input", "sub.lif"), ("sub.rec", "sub.lif"), ("sub.lif", "sub.rec"),
           ("sub.lif", "output")})


def test_ports_naming_plain_inner_nodes():
    n = {"in": inp(), "a": lin(), "b": lif(), "out": out()}
    sub = graph(n, [("in", "a"), ("a", "b"), ("b", "out")])
    p = {"input": inp(), "x": lin(), "sub": sub, "o1": out(), "o2": out()}
    g = graph(p, [("input", "x"), ("x", "sub.b"), ("input", "sub"), ("sub.a", "o1"), ("sub", "o2")])
    expected = {k: p[k] for k in ("input", "x", "o1", "o2")} | {"sub.a": n["a"], "sub.b": n["b"]}
    check(g, expected, {("input", "x"), ("input", "sub.a"), ("x", "sub.b"), ("sub.a", "sub.b"),
                        ("sub.a", "o1"), ("sub.b", "o2")})


def test_unconnected_input_and_output_with_no_incoming_edge():
    n = {"in1": inp(), "in2": inp(), "a": lin(), "b": lin(), "out1": out(), "out2": out()}
    sub = graph(n, [("in1", "a"), ("in2", "b"), ("a", "out1")])  # in2 has no edge in, out2 none in
    p = {"input": inp(), "sub": sub, "o1": out(), "lif": lif(), "o2": out()}
    g = graph(p, [("input", "sub.in1"), ("sub.out1", "o1"), ("sub.out2", "lif"), ("lif", "o2")])
    expected = {k: p[k] for k in ("input", "o1", "lif", "o2")} | {"sub.a": n["a"], "sub.b": n["b"]}
    check(g, expected, {("input", "sub.a"), ("sub.a", "o1"), ("lif", "o2")})


def test_edges_between_sibling_subgraphs():
    na = {"in": inp(), "lif": lif(), "out": out()}
    nb = {"in": inp(), "lif": lif(), "out": out()}
    sa = graph(na, [("in", "lif"), ("lif", "out")])
    sb = graph(nb, [("in", "lif"), ("lif", "out")])
    p = {"input": inp(), "sb": sb, "sa": sa, "output": out()}
    g = graph(p, [("input", "sa"), ("sa", "sb"), ("sb", "output"), ("sb", "sa")])
    check(g, {"input": p["input"], "sa.lif": na["lif"], "sb.lif": nb["lif"], "output": p["output"]},
          {("input", "sa.lif"), ("sa.lif", "sb.lif"), ("sb.lif", "output"), ("sb.lif", "sa.lif")})


def test_name_collision_gets_a_deterministic_suffix():
    n = {"in": inp(), "lif": lif(), "out": out()}
    sub = graph(n, [("in", "lif"), ("lif", "out")])
    p = {"input": inp(), "sub.lif": lif(), "sub.lif_1": lif(), "sub": sub, "output": out()}
    g = graph(p, [("input", "sub.lif"), ("sub.lif", "sub.lif_1"), ("sub.lif_1", "sub"),
                  ("sub", "output")])
    expected = {k: p[k] for k in ("input", "sub.lif", "sub.lif_1", "output")} | {"sub.lif_2": n["lif"]}
    check(g, expected, {("input", "sub.lif"), ("sub.lif", "sub.lif_1"), ("sub.lif_1", "sub.lif_2"),
                        ("sub.lif_2", "output")})


def test_metadata_of_nodes_moves_and_nested_graph_metadata_is_dropped():
    n = {"in": inp(), "lif": nir.LIF(tau=np.ones(3), r=np.ones(3), v_leak=np.zeros(3),
                                     v_threshold=np.ones(3), metadata={"k": "v"}), "out": out()}
    sub = graph(n, [("in", "lif"), ("lif", "out")], metadata={"sub": "meta"})
    g = graph({"input": inp(), "sub": sub, "output": out()},
              [("input", "sub"), ("sub", "output")], metadata={"root": "meta"})
    _, flat = flatten(g)
    assert flat.nodes["sub.lif"].metadata == {"k": "v"}
    assert flat.metadata == {"root": "meta"}


def test_identity_loop_is_rejected():
    sub = graph({"in": inp(), "out": out()}, [("in", "out")])
    g = graph({"input": inp(), "sub": sub, "output": out()},
              [("input", "sub"), ("sub", "sub"), ("sub", "output")])
    module = import_graph(g)
    with pytest.raises(PassFailedException, match="algebraic loop"):
        FlattenSubgraphs().apply(make_context(), module)


def test_flat_graph_is_unchanged():
    p = {"input": inp(2), "fc": aff(), "lif": lif(), "rec": lin(), "output": out()}
    g = graph(p, [("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")])
    module = import_graph(g)
    before = print_module(module)
    FlattenSubgraphs().apply(make_context(), module)
    module.verify()
    assert print_module(module) == before


def test_round_trip_through_text():
    n = {"in": inp(), "lif": lif(), "rec": lin(), "out": out()}
    sub = graph(n, [("in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")])
    p = {"input": inp(2), "fc": aff(), "sub": sub, "output": out()}
    g = graph(p, [("input", "fc"), ("fc", "sub"), ("sub.out", "output"), ("sub", "sub.in")])
    module, _ = flatten(g)
    text = print_module(module)
    assert "nir.graph \"sub\"" not in text
    again = parse_module(text)
    again.verify()
    assert print_module(again) == text
