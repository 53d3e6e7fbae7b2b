"""The command line's output and usage promises (issue 16, "Outputs and CLI").

- outputs are all or none: a command that fails writes nothing, including its --report;
- bad usage exits 2 with click's message, bad input exits 1 with one ``error:`` line;
- ``compile --list-targets`` / ``--print-pipeline`` need no GRAPH;
- ``import -`` / ``show -`` detect the format of standard input (.nir, .nirt, .mlir);
- target options are checked against their ranges (targets/base.py ``Option``);
- Python warnings print once as ``warning: FILE: ...`` lines, never with a source path.
"""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
from click.testing import CliRunner, Result

from nirc.cli import main


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=True)


def files_under(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def lif(n: int, tau: float = 0.01) -> nir.LIF:
    return nir.LIF(tau=np.full(n, tau), r=np.ones(n), v_leak=np.zeros(n),
                   v_threshold=np.ones(n), v_reset=np.zeros(n))


def chain(n: int, neuron: nir.NIRNode) -> nir.NIRGraph:
    """input(n) -> neuron(n) -> output(n)."""
    return nir.NIRGraph(nodes={"input": nir.Input(np.array([n])), "lif": neuron,
                               "output": nir.Output(np.array([n]))},
                        edges=[("input", "lif"), ("lif", "output")], type_check=False)


@pytest.fixture
def srnn(examples, tmp_path: Path) -> Path:
    """The shipped recurrent example, copied into an otherwise empty directory."""
    path = tmp_path / "srnn.nir"
    path.write_bytes(examples["srnn"].read_bytes())
    return path


# ---- 1. all or none ---------------------------------------------------------------


def test_unwritable_report_writes_nothing(srnn: Path, tmp_path: Path):
    """--report under a regular file cannot be created: exit 1, the message names the
    report path, and neither the target's files nor the output directory appear."""
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    report = blocker / "r.json"
    before = files_under(tmp_path)
    result = run("compile", str(srnn), "--target", "interp", "-o", str(tmp_path / "out"),
                 "--report", str(report))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {report}: cannot write"), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert files_under(tmp_path) == before


def test_report_and_files_written_together(srnn: Path, tmp_path: Path):
    """The success case of the same set: new nested directories for both are made."""
    out, report = tmp_path / "a" / "b", tmp_path / "c" / "r.json"
    result = run("compile", str(srnn), "--target", "interp", "-o", str(out),
                 "--report", str(report))
    assert result.exit_code == 0, result.stderr
    assert (out / "srnn.mlir").is_file() and report.is_file()
    assert not [p for p in tmp_path.rglob(".*.tmp")]


def test_run_with_zero_size_input_is_all_or_none(tmp_path: Path):
    """A zero-size Input: either a clean error with no .npz, or success with the .npz
    (never the .npz followed by a failure, as before)."""
    graph = tmp_path / "zero.nir"
    nir.write(graph, chain(0, lif(0)))
    out = tmp_path / "out.npz"
    result = run("run", str(graph), "--generate-input", "rate=0.1,steps=5", "-o", str(out))
    assert "internal error" not in result.stderr
    if result.exit_code == 0:
        assert out.is_file()
        assert np.load(out)["output"].shape == (5, 1, 0)
    else:
        assert result.exit_code == 1 and result.stderr.startswith("error: ")
        assert not out.exists()


# ---- 2. run's usage -----------------------------------------------------------------


def test_run_negative_seed_is_a_usage_error(srnn: Path, tmp_path: Path):
    result = run("run", str(srnn), "--generate-input", "steps=5", "--seed", "-5",
                 "-o", str(tmp_path / "o.npz"))
    assert result.exit_code == 2, result.output
    assert "--seed" in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "o.npz").exists()


def test_run_dt_auto_without_target_is_a_usage_error(srnn: Path):
    """The interpreter has no preferred step (compile --target interp --dt auto refuses
    too): without --target, --dt auto is bad usage that names what to give."""
    result = run("run", str(srnn), "--generate-input", "steps=5", "--dt", "auto")
    assert result.exit_code == 2, result.output
    assert "--dt auto" in result.stderr and "--target" in result.stderr


@pytest.mark.parametrize("target", ["xylo", "loihi2", "spinnaker2"])
def test_run_record_of_a_layer_state_works_with_and_without_target(srnn: Path, target: str):
    """'lif1.v' names the same layer's membrane on the float graph and on the chip's
    simulation (tests/test_chip_record.py checks what the chip records)."""
    plain = run("run", str(srnn), "--generate-input", "steps=5", "--record", "lif1.v")
    assert plain.exit_code == 0, plain.stderr
    result = run("run", str(srnn), "--generate-input", "steps=5", "--target", target,
                 "--record", "lif1.v")
    assert result.exit_code == 0, result.stderr
    assert "lif1.v: shape [5, 1, 38]" in result.stdout, result.stdout


# ---- 3. compile without GRAPH ----------------------------------------------------------


def test_list_targets_needs_no_graph():
    result = run("compile", "--list-targets")
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == sorted(["interp", "generic", "xylo", "loihi2", "speck", "spinnaker2"])


def test_print_pipeline_needs_no_graph():
    result = run("compile", "--print-pipeline", "--target", "generic")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("flatten-subgraphs,discretize")


def test_compile_without_graph_is_still_a_usage_error():
    result = run("compile", "--target", "interp")
    assert result.exit_code == 2
    assert "GRAPH" in result.stderr


# ---- 6. warnings --------------------------------------------------------------------


def test_discretize_warning_is_one_line_naming_the_file(tmp_path: Path):
    """tau = 1e-30 s at dt = 1e-4 s: Euler's decay 1 - dt/tau = 1 - 1e26 < 0, which
    discretize warns about; run prints it once as 'warning: FILE: ...', with no Python
    source path or warning class."""
    graph = tmp_path / "tiny.nir"
    nir.write(graph, chain(2, lif(2, tau=1e-30)))
    result = run("run", str(graph), "--generate-input", "steps=5")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"warning: {graph}: discretize: node 'lif' (LIF), field 'tau'")
    assert ".py:" not in result.stderr and "DiscretizeWarning" not in result.stderr


def test_compile_warning_is_in_the_report_only(tmp_path: Path):
    """compile records the same warning in its report (stdout and --report JSON), and
    does not print it to stderr as well."""
    import json

    graph = tmp_path / "tiny.nir"
    nir.write(graph, chain(2, lif(2, tau=1e-30)))
    report = tmp_path / "r.json"
    result = run("compile", str(graph), "--target", "interp", "-o", str(tmp_path / "out"),
                 "--report", str(report))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("field 'tau'") == 1
    assert [w for w in json.loads(report.read_text())["warnings"] if "field 'tau'" in w]


def test_run_refuses_nonfinite_outputs(tmp_path: Path):
    """A Scale of 3e38 (float32 max is 3.4e38) on a spike gives 3e38; a second Scale of
    10 overflows to inf at step 0: run fails in one line naming the file, the output and
    the step, instead of numpy's RuntimeWarning, and writes nothing."""
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1])),
                            "s1": nir.Scale(scale=np.array([3e38], np.float32)),
                            "s2": nir.Scale(scale=np.array([10.0], np.float32)),
                            "output": nir.Output(np.array([1]))},
                     edges=[("input", "s1"), ("s1", "s2"), ("s2", "output")], type_check=False)
    graph = tmp_path / "big.nir"
    nir.write(graph, g)
    x = tmp_path / "x.npy"
    np.save(x, np.ones((3, 1), np.float32))
    result = run("run", str(graph), "--input", str(x), "-o", str(tmp_path / "o.npz"))
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {graph}: the simulation produced "
                                                   "inf in 'output' at step 0"), lines
    assert not (tmp_path / "o.npz").exists()


# ---- 4. standard input in every format ------------------------------------------------


def stdin_forms(srnn: Path) -> dict[str, bytes]:
    """The same graph as .nir bytes, .nirt text (arrays inline) and textual IR."""
    nirt = run("convert", str(srnn))  # no TARGET: .nirt on stdout, large arrays base64
    mlir = run("import", str(srnn))
    assert nirt.exit_code == 0 and mlir.exit_code == 0
    return {"nir": srnn.read_bytes(), "nirt": ("# a comment\n" + nirt.stdout).encode(),
            "mlir": mlir.stdout.encode()}


@pytest.mark.parametrize("form", ["nir", "nirt", "mlir"])
def test_show_and_import_read_stdin_in_every_format(srnn: Path, form: str):
    """show - and import - on each form give what they give on the file itself."""
    data = stdin_forms(srnn)[form]
    shown = run("show", "-", input=data)
    assert shown.exit_code == 0, shown.stderr
    expected = run("show", str(srnn)).stdout.replace(str(srnn), "-")
    assert shown.stdout == expected
    imported = run("import", "-", input=data)
    assert imported.exit_code == 0, imported.stderr
    assert imported.stdout == run("import", str(srnn)).stdout


def test_stdin_errors_name_stdin(srnn: Path):
    """Truncated HDF5 on stdin: one error line naming '-' (not a temporary file)."""
    result = run("show", "-", input=srnn.read_bytes()[:100])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: -: ") and "/tmp" not in result.stderr


# ---- 5. target option ranges -------------------------------------------------------------


def numeric_options():
    from nirc.targets import get_all_targets

    for name, load in sorted(get_all_targets().items()):
        for option, spec in load().OPTIONS.items():
            if spec.kind in (int, float):
                yield name, option, spec


def test_every_numeric_target_option_declares_its_range():
    missing = [f"{t}:{o}" for t, o, spec in numeric_options() if spec.low is None]
    assert not missing


@pytest.mark.parametrize("target, option, spec",
                         [pytest.param(*x, id=f"{x[0]}:{x[1]}") for x in numeric_options()])
def test_out_of_range_target_option_is_a_usage_error(target, option, spec):
    """A value just beyond each bound: exit 2, naming the option, the range and the value."""
    bad = [spec.low - 1] + ([spec.high + 1] if spec.high is not None else [])
    for value in bad:
        value = spec.kind(value)
        result = run("compile", "--print-pipeline", "--target", f"{target}{{{option}={value}}}")
        assert result.exit_code == 2, (value, result.output)
        message = " ".join(result.stderr.split())
        assert f"option '{option}' must be" in message and repr(value) in message, message
        bound = f"{spec.low:g}" if value < spec.low else f"{spec.high:g}"
        assert bound in message, message
    ok = run("compile", "--print-pipeline", "--target", f"{target}{{{option}={spec.kind(spec.low)}}}")
    assert ok.exit_code == 0, ok.output


def test_fidelity_rate_of_five_is_refused():
    """The issue's case: a spike probability of 5."""
    result = run("compile", "--print-pipeline", "--target", "xylo{fidelity-rate=5}")
    assert result.exit_code == 2
    assert "'fidelity-rate' must be in [0, 1], got 5.0" in " ".join(result.stderr.split())


@pytest.mark.parametrize("target", ["xylo", "speck"])
def test_unknown_chip_is_a_usage_error(target):
    result = run("compile", "--print-pipeline", "--target", f"{target}{{chip=foo}}")
    assert result.exit_code == 2
    assert "option 'chip' must be one of" in " ".join(result.stderr.split())
