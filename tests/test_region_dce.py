"""``canonicalize`` and ``dce`` change no behaviour at any stage nirc produces.

xDSL's dce erases an op whose results are unused and that has no effects.  The neuron
inside an ``snn.layer`` is the layer's result without being used inside the region, so
with a plain ``Pure`` trait both passes erased it (issue 16).  For every prefix of
every target's pipeline (the nir, snn, snn.layer, qsnn stages and each chip op) the
test runs ``canonicalize,dce`` and checks that the module still verifies, keeps every
node, and simulates bit for bit as before (the interpreter is the reference: the
passes must be no-ops on these graphs, which hold no dead node).
"""

from __future__ import annotations

import numpy as np
import pytest

import nirc
from nirc.examples import srnn
from speck_graphs import random_chain
from nirc.importer import import_graph
from nirc.ir_text import make_context
from nirc.opt import build_pipeline
from nirc.targets import make_target

def speck_chain():
    """A conv/IF chain Speck can hold (tests/speck_graphs.py, seed 0)."""
    return random_chain(0)[0]


TARGETS = {"interp": srnn, "generic": srnn, "xylo": srnn, "loihi2": srnn,
           "spinnaker2": srnn, "speck": speck_chain}


def stages() -> list[tuple[str, str]]:
    """(id, pipeline) for every prefix of every target's pipeline, each once."""
    seen: dict[str, str] = {}
    for name in TARGETS:
        passes = make_target(name).pipeline({})
        for k in range(1, len(passes) + 1):
            spec = ",".join(passes[:k])
            seen.setdefault(spec, f"{name}:{passes[k - 1].split('{')[0]}")
    return [(label, spec) for spec, label in seen.items()]


def inputs(graph_fn) -> np.ndarray:
    rng = np.random.default_rng(0)
    shape = (12,) if graph_fn is srnn else tuple(random_chain(0)[1])
    return (rng.random((16, *shape)) < 0.3).astype(np.float32)


def node_names(module) -> list[str]:
    return sorted(op.properties["node_name"].data for op in module.walk()
                  if "node_name" in op.properties)


@pytest.mark.parametrize("label,spec", stages(), ids=[s[0] for s in stages()])
def test_canonicalize_dce_keep_every_stage(label, spec):
    graph_fn = TARGETS[label.split(":")[0]]
    module = import_graph(graph_fn())
    build_pipeline(spec).apply(make_context(), module)
    x = inputs(graph_fn)
    before, names = nirc.simulate(module, x), node_names(module)
    build_pipeline("canonicalize,dce").apply(make_context(), module)
    module.verify()
    assert node_names(module) == names
    after = nirc.simulate(module, x)
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


def test_dce_still_removes_a_dead_node():
    """The layer's neuron is kept because it is the layer's result, not because dce
    stopped working: an Affine that reaches no Output is still erased."""
    import nir

    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([2])),
                            "fc": nir.Linear(weight=np.eye(2, dtype=np.float32)),
                            "dead": nir.Linear(weight=np.eye(2, dtype=np.float32)),
                            "output": nir.Output(np.array([2]))},
                     edges=[("input", "fc"), ("fc", "output"), ("input", "dead")],
                     type_check=False)
    module = import_graph(g)
    build_pipeline("dce").apply(make_context(), module)
    assert "dead" not in node_names(module) and "fc" in node_names(module)
