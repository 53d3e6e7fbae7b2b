"""Inputs that used to escape the diagnostics (issue 16) give one clean line.

Each file below is a valid small graph (Input(2) -> LIF -> Output(2), written by
``nir.write``) with one field changed through h5py; the expected rule is stated in
each case.  Every error must be one line ``error: <file>: node ..., field ...:
<rule>``, exit 1, no numpy warning, at most 600 characters, nothing written.
"""

from __future__ import annotations

import sys

import h5py
import nir
import numpy as np
import pytest
from click.testing import CliRunner

from corrupt_corpus import _deep, _flatten_end_dim, _replace
from nirc.cli import main


def lif_graph() -> nir.NIRGraph:
    n = np.ones(2)
    return nir.NIRGraph(
        nodes={"input": nir.Input(np.array([2])),
               "lif": nir.LIF(tau=n * 1e-2, r=n, v_leak=0 * n, v_threshold=n, v_reset=0 * n),
               "output": nir.Output(np.array([2]))},
        edges=[("input", "lif"), ("lif", "output")], type_check=False)


def mutated(tmp_path, change, graph=None):
    path = tmp_path / "g.nir"
    nir.write(path, graph or lif_graph())
    with h5py.File(path, "r+") as f:
        change(f)
    return path


def import_error(path, tmp_path) -> str:
    out = tmp_path / "out.mlir"
    result = CliRunner().invoke(main, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert not out.exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no warnings, no traceback
    assert lines[0].startswith(f"error: {path}: ") and len(lines[0]) <= 600
    return lines[0]


def edges_plus(extra):
    def change(f):
        old = [list(r) for r in f["node/edges"][()]]
        _replace(f, "node/edges", np.array(old + [extra], dtype=object).astype("S"))
    return change


def test_0d_output_shape(tmp_path):
    path = mutated(tmp_path, lambda f: _replace(f, "node/nodes/output/shape", np.int64(2)))
    assert "node 'output' (Output), field 'shape': must be a 1-d array of dims, found a 0-d" \
        in import_error(path, tmp_path)


def test_edge_leaving_an_output(tmp_path):
    path = mutated(tmp_path, edges_plus([b"output", b"lif"]))
    assert "node 'output': edge ('output', 'lif') leaves an Output node" in import_error(path, tmp_path)


def test_edge_name_not_utf8(tmp_path):
    path = mutated(tmp_path, edges_plus([b"\xff\xfe", b"lif"]))
    assert "field 'edges': edge endpoint b'\\xff\\xfe' is not valid UTF-8" in import_error(path, tmp_path)


@pytest.mark.parametrize("dims,rule", [
    ([-5], "must have dims >= 1, found [-5]"),
    ([0], "must have dims >= 1, found [0]"),
    ([10**9], "[1000000000] has 1000000000 elements, more than nirc's limit of 2**27"),
    ([2**63 - 1], f"[{2**63 - 1}] has {2**63 - 1} elements, more than nirc's limit"),
])
def test_bad_dims_name_node_and_size(tmp_path, dims, rule):
    path = mutated(tmp_path, lambda f: _replace(f, "node/nodes/input/shape", np.array(dims)))
    line = import_error(path, tmp_path)
    assert "node 'input' (Input), field 'shape': the shape" in line and rule in line


def test_huge_chunked_dataset_refused_from_metadata(tmp_path):
    def change(f):
        del f["node/nodes/lif/tau"]
        f.create_dataset("node/nodes/lif/tau", shape=(10**9,), dtype="f8", chunks=(2**16,),
                         fillvalue=1.0)
    path = mutated(tmp_path, change)
    assert path.stat().st_size < 100_000  # the file declares 8 GB it does not hold
    assert ("node 'lif', field 'tau': array of shape [1000000000] (1000000000 elements) "
            "exceeds nirc's limit of 2**27") in import_error(path, tmp_path)


def test_flatten_end_dim_2_64_minus_1(tmp_path):
    path = mutated(tmp_path, lambda f: _replace(f, "node/nodes/flat/end_dim", np.uint64(2**64 - 1)),
                   graph=_flatten_end_dim())
    assert ("node 'flat', field 'end_dim': must index a dim of an input of 2 dims "
            "(-2 <= d < 2), found 18446744073709551615") in import_error(path, tmp_path)


def test_nesting_beyond_the_limit_names_it(tmp_path):
    """1000 levels used to give "maximum recursion depth exceeded"; the reader stops at
    level 65 whatever the depth, so 100 levels test the same path (nir.write of 1000
    levels alone takes minutes)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20000)  # nir.write itself recurses per level
    try:
        path = tmp_path / "deep.nir"
        nir.write(path, _deep(100))
    finally:
        sys.setrecursionlimit(limit)
    line = import_error(path, tmp_path)
    assert "graphs are nested more than 64 levels deep (nirc's limit MAX_NESTING)" in line
    assert " ... " in line  # the 64-level node path is elided in the middle


def test_error_after_loading_names_the_file(tmp_path):
    """An error raised by a later stage (the simulator) names the input file too."""
    text = ('builtin.module {\n  nir.graph {\n    %c = nir.linear "c" () {weight = '
            'dense<1.0> : tensor<1x1xf32>} : tensor<1xf32>\n    nir.output "output" (%c) : '
            'tensor<1xf32>\n  }\n}\n')
    path = tmp_path / "noinput.mlir"
    path.write_text(text)
    result = CliRunner().invoke(main, ["run", str(path), "--generate-input", "steps=2"])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(f"error: {path}: "), result.stderr


def test_tau_1e30_never_gives_silent_nan(tmp_path):
    """LI with tau = 1e-30 and dt = 1e-4: forward Euler's decay is 1 - 1e26, so v
    is 1e26 (gain dt/tau) at step 0 and -1e52 = -inf in float32 (max 3.4e38) at step 1:
    the run fails naming the signal and step instead of writing inf/NaN.  With method=exact (decay exp(-1e26) = 0) the run is finite."""
    n = np.ones(2)
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([2])),
                            "li": nir.LI(tau=n * 1e-30, r=n, v_leak=0 * n),
                            "output": nir.Output(np.array([2]))},
                     edges=[("input", "li"), ("li", "output")], type_check=False)
    path = tmp_path / "tau.nir"
    nir.write(path, g)
    out = tmp_path / "out.npz"
    args = ["run", str(path), "--generate-input", "rate=1,steps=20", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and not out.exists()
    assert f"error: {path}: the simulation produced" in result.stderr
    assert "in 'output' at step" in result.stderr
    result = CliRunner().invoke(main, [*args, "--method", "exact"])
    assert result.exit_code == 0, result.stderr
    assert np.all(np.isfinite(np.load(out)["output"]))


def test_delay_longer_than_any_history_is_refused_before_allocating(tmp_path):
    """A Delay of 123456.789 s at dt = 1e-4 s is 1,234,567,890 steps: its history of
    (steps + 1) x batch 8 x 2 elements (about 2e10 values, 160 GB as float64) is over the
    2**27-value limit, so run and compile (whose check simulates) refuse it in one line
    naming the node and field, and write nothing (found by the campaign: MemoryError)."""
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(np.array([2])), "d": nir.Delay(np.full(2, 123456.789)),
               "output": nir.Output(np.array([2]))},
        edges=[("input", "d"), ("d", "output")], type_check=False)
    path = tmp_path / "g.nir"
    nir.write(path, graph)
    out = tmp_path / "out.npz"
    result = CliRunner().invoke(main, ["run", str(path), "--generate-input",
                                       "rate=0.1,steps=10,batch=8", "-o", str(out)])
    assert result.exit_code == 1, result.output
    line = result.stderr.strip().splitlines()
    assert len(line) == 1 and line[0].startswith(f"error: {path}: node 'd', field 'delay': "), line
    assert "1234567890 steps" in line[0] and "2**27" in line[0]
    assert not out.exists()
    outdir = tmp_path / "compiled"
    result = CliRunner().invoke(main, ["compile", str(path), "--target", "generic", "-o",
                                       str(outdir)])
    assert result.exit_code == 1, result.output
    assert "field 'delay'" in result.stderr and "internal error" not in result.stderr
    assert not outdir.exists()


def test_input_with_no_outgoing_edge_is_accepted_alike_by_run_and_compile(tmp_path):
    """An extra Input that feeds nothing (issue 16: interp/run accepted it while
    `compile --target generic` died in quantize's agreement check with a matmul shape
    error): run and compile (interp, generic) all accept it, and it changes nothing:
    the run's output equals that of the same graph without it."""
    base = lif_graph()
    extra = nir.NIRGraph(nodes={**base.nodes, "unused": nir.Input(np.array([3]))},
                         edges=base.edges, type_check=False)
    rng = np.random.default_rng(0)
    x = (rng.random((300, 2)) < 0.5).astype(np.float32) * 5
    np.savez(tmp_path / "x.npz", input=x, unused=np.zeros((300, 3), np.float32))
    np.savez(tmp_path / "x1.npz", input=x)
    outputs = []
    for name, graph, data in (("extra", extra, "x.npz"), ("base", base, "x1.npz")):
        path = tmp_path / f"{name}.nir"
        nir.write(path, graph)
        out = tmp_path / f"{name}.npz"
        result = CliRunner().invoke(main, ["run", str(path), "--input", str(tmp_path / data),
                                           "-o", str(out)])
        assert result.exit_code == 0, result.output
        outputs.append(np.load(out)["output"])
    assert outputs[0].sum() > 0 and np.array_equal(outputs[0], outputs[1])
    for target in ("interp", "generic"):
        result = CliRunner().invoke(main, ["compile", str(tmp_path / "extra.nir"), "--target",
                                           target, "-o", str(tmp_path / target)])
        assert result.exit_code == 0, (target, result.output)
        assert "internal error" not in result.output
