"""Real files whose intent is plain load with a warning (issue 16, nirc/plain_intent.py).

The defects are rebuilt here (``nir.write`` of a small graph, then the defect written
through h5py in nir 1.0.8's HDF5 layout), so the tests do not need the original files:

- rockpool's ``lif_rockpool.nir``: an Output whose shape ([1, 1, 1]) is not the [1]
  its LIF delivers (``nir.read`` fails with "lif.output: [[1]] -> output.input:
  [[1 1 1]]"); the brief's example the other way round; an Input of the same kind;
- issue 16's edge case: an edge naming node ``lif``, which exists only inside subgraph
  ``lif1``;
- the paper's real ``braille_noDelay_*_subgraph.nir``: inside subgraph ``lif1`` the
  edges name ``lif`` but the neuron node is keyed ``lif1``.

A reshape keeps the values and their order, so the defective file must simulate to
exactly what the same graph with the right shape gives (the reference run below).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import nir
import numpy as np
import pytest
from click.testing import CliRunner

from nirc.cli import main

PAPER = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "nir-paper"


def lif(shape, threshold=0.5):
    n = np.ones(shape)
    return nir.LIF(tau=n * 1e-3, r=n, v_leak=0 * n, v_threshold=n * threshold, v_reset=0 * n)


def rockpool_like(output_shape=(1,)) -> nir.NIRGraph:
    """Input(1) -> Linear -> LIF(1) -> Output, as rockpool exports lif_rockpool.nir."""
    return nir.NIRGraph(
        nodes={"input": nir.Input(np.array([1])), "fc": nir.Linear(weight=np.full((1, 1), 40.0)),
               "lif": lif((1,)), "output": nir.Output(np.array(output_shape))},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")], type_check=False)


def with_field(path, graph, dataset, value):
    """``graph`` written by nir.write, then ``dataset`` replaced by ``value`` via h5py."""
    nir.write(path, graph)
    with h5py.File(path, "r+") as f:
        del f[dataset]
        f[dataset] = value
    return path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def run_outputs(path, tmp_path, name) -> np.ndarray:
    out = tmp_path / f"{name}.npz"
    result = invoke("run", path, "--generate-input", "rate=0.5,steps=40", "--seed", "3", "-o", out)
    assert result.exit_code == 0, result.output
    with np.load(out) as data:
        return data["output"]


def only_warning(result, path) -> str:
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: {path}: "), result.stderr
    return lines[0][len(f"warning: {path}: "):]


def test_output_reshape_rockpool(tmp_path):
    path = with_field(tmp_path / "rock.nir", rockpool_like(), "node/nodes/output/shape",
                      np.array([1, 1, 1]))
    with pytest.raises(ValueError, match="type mismatch"):
        nir.read(path)  # the defect nir itself refuses
    out = tmp_path / "g.mlir"
    message = only_warning(invoke("import", path, "-o", out), path)
    assert message == ("node 'output' (Output), field 'shape': [1,1,1] does not match the [1] "
                       "its input delivers (same size): read as a reshape")
    # export writes the corrected form, which nir.read now accepts
    fixed = tmp_path / "fixed.nir"
    assert invoke("export", out, "-o", fixed).exit_code == 0
    assert nir.read(fixed).nodes["output"].output_type["output"].tolist() == [1]
    reference = tmp_path / "ref.nir"
    nir.write(reference, rockpool_like())
    got, want = run_outputs(path, tmp_path, "got"), run_outputs(reference, tmp_path, "want")
    assert want.sum() > 0  # the comparison is not between two silent runs
    np.testing.assert_array_equal(got, want)


def test_output_reshape_the_other_way(tmp_path):
    """The brief's example: Output [1] fed the [1,1,1] of a LIF of that shape."""
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(np.array([1, 1, 1])), "lif": lif((1, 1, 1), 0.0),
               "output": nir.Output(np.array([1, 1, 1]))},
        edges=[("input", "lif"), ("lif", "output")], type_check=False)
    path = with_field(tmp_path / "g.nir", graph, "node/nodes/output/shape", np.array([1]))
    result = invoke("run", path, "--generate-input", "steps=5", "-o", tmp_path / "o.npz")
    assert only_warning(result, path) == (
        "node 'output' (Output), field 'shape': [1] does not match the [1,1,1] its input "
        "delivers (same size): read as a reshape")


def test_input_reshape(tmp_path):
    path = with_field(tmp_path / "g.nir", rockpool_like(), "node/nodes/input/shape",
                      np.array([1, 1, 1]))
    message = only_warning(invoke("import", path, "-o", tmp_path / "g.mlir"), path)
    assert message == ("node 'input' (Input), field 'shape': [1,1,1] does not match the [1] "
                       "its successor 'fc' expects (same size): read as a reshape")
    reference = tmp_path / "ref.nir"
    nir.write(reference, rockpool_like())
    np.testing.assert_array_equal(run_outputs(path, tmp_path, "got"),
                                  run_outputs(reference, tmp_path, "want"))


@pytest.mark.parametrize("dataset, value, rule", [
    ("node/nodes/output/shape", np.array([2]),
     "node 'output' (Output): input shape [1] does not match the shape [2] its parameters imply"),
    ("node/nodes/input/shape", np.array([1, 2]),
     "node 'fc' (Linear): input shape [1, 2] does not match the shape [1] its parameters imply"),
])
def test_size_mismatch_stays_an_error(tmp_path, dataset, value, rule):
    path = with_field(tmp_path / "g.nir", rockpool_like(), dataset, value)
    out = tmp_path / "g.mlir"
    result = invoke("import", path, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.strip().splitlines() == [f"error: {path}: {rule}"]


def subgraph() -> nir.NIRGraph:
    return nir.NIRGraph(
        nodes={"input": nir.Input(np.array([2])), "lif": lif((2,)),
               "output": nir.Output(np.array([2]))},
        edges=[("input", "lif"), ("lif", "output")], type_check=False)


def braille_like(subgraphs: dict, edges) -> nir.NIRGraph:
    nodes = {"input": nir.Input(np.array([2])), "fc1": nir.Linear(weight=np.eye(2) * 40),
             **subgraphs, "fc2": nir.Linear(weight=np.eye(2)),
             "output": nir.Output(np.array([2]))}
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def edges_of(path, graph=None) -> list[tuple[str, str]]:
    with h5py.File(path, "r") as f:
        return [(a.decode(), b.decode()) for a, b in f[f"node/{graph or ''}edges"][()]]


def assert_fixed_like_reference(out, path, reference, tmp_path, edges, graph=None) -> None:
    """The imported module ``out`` exports the corrected edges (sorted: ``edges``, of the
    graph at ``graph``), and the defective file runs exactly as the correct ``reference``."""
    fixed = tmp_path / "fixed.nir"
    assert invoke("export", out, "-o", fixed).exit_code == 0
    assert sorted(edges_of(fixed, graph)) == edges
    got, want = run_outputs(path, tmp_path, "got"), run_outputs(reference, tmp_path, "want")
    assert want.sum() > 0
    np.testing.assert_array_equal(got, want)


def test_edge_into_one_subgraph(tmp_path):
    good = [("input", "fc1"), ("fc1", "lif1.input"), ("lif1.lif", "fc2"), ("fc2", "output")]
    bad = [e if e[0] != "lif1.lif" else ("lif", "fc2") for e in good]
    path, reference = tmp_path / "braille.nir", tmp_path / "ref.nir"
    nir.write(path, braille_like({"lif1": subgraph()}, bad))
    nir.write(reference, braille_like({"lif1": subgraph()}, good))
    out = tmp_path / "g.mlir"
    assert only_warning(invoke("import", path, "-o", out), path) == (
        "edge ('lif', 'fc2'): node 'lif' is not in the top-level graph; read as 'lif1.lif', "
        "the only subgraph node of that name")
    assert_fixed_like_reference(out, path, reference, tmp_path, sorted(good))


@pytest.mark.parametrize("subs, rule", [
    ({"lif1": subgraph(), "lif2": subgraph()},
     "edge ('lif', 'fc2') refers to node 'lif', which is not in the top-level graph and is "
     "ambiguous: subgraphs hold 'lif1.lif', 'lif2.lif'"),
    ({"lif1": subgraph()},
     "edge ('spike', 'fc2') refers to node 'spike', which does not exist (dangling edge)"),
])
def test_ambiguous_or_missing_endpoint_stays_an_error(tmp_path, subs, rule):
    edges = [("input", "fc1"), ("fc1", "lif1.input"), ("fc2", "output")]
    edges.append(("lif", "fc2") if "lif2" in subs else ("spike", "fc2"))
    path = tmp_path / "g.nir"
    nir.write(path, braille_like(subs, edges))
    out = tmp_path / "g.mlir"
    result = invoke("import", path, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.strip().splitlines() == [f"error: {path}: {rule}"]


def test_real_rockpool_file_when_present(tmp_path):
    path = PAPER / "lif_rockpool.nir"  # neuromorphs/NIR paper/01_lif/lif_rockpool.nir
    if not path.exists():
        pytest.skip(f"lif_rockpool.nir is not in {PAPER}")
    result = invoke("run", path, "--generate-input", "steps=5", "-o", tmp_path / "o.npz")
    assert only_warning(result, path) == (
        "node 'output' (Output), field 'shape': [1,1,1] does not match the [1] its input "
        "delivers (same size): read as a reshape")


def test_edges_naming_a_renamed_node(tmp_path):
    def inner(key, name):
        return nir.NIRGraph(
            nodes={"input": nir.Input(np.array([2])), key: lif((2,)),
                   "output": nir.Output(np.array([2]))},
            edges=[("input", name), (name, "output")], type_check=False)
    top = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "output")]
    path, reference = tmp_path / "braille.nir", tmp_path / "ref.nir"
    nir.write(path, braille_like({"lif1": inner("lif1", "lif")}, top))
    nir.write(reference, braille_like({"lif1": inner("lif1", "lif1")}, top))
    out = tmp_path / "g.mlir"
    assert only_warning(invoke("import", path, "-o", out), path) == (
        "edges name node 'lif', which is not in graph 'lif1': read as 'lif1', "
        "the only node no edge names")
    assert_fixed_like_reference(out, path, reference, tmp_path,
                                [("input", "lif1"), ("lif1", "output")], "nodes/lif1/")


def test_real_braille_subgraph_file_when_present(tmp_path):
    path = PAPER / "braille_noDelay_bias_zero_subgraph.nir"  # neuromorphs/NIR paper/03_rnn/extras
    if not path.exists():
        pytest.skip(f"braille_noDelay_bias_zero_subgraph.nir is not in {PAPER}")
    result = invoke("run", path, "--generate-input", "steps=5", "-o", tmp_path / "o.npz")
    assert only_warning(result, path) == (
        "edges name node 'lif', which is not in graph 'lif1': read as 'lif1', "
        "the only node no edge names")
