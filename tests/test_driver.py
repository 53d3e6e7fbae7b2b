"""The mlir-opt-grade driver (issue 19, points 3 and 5), used as a user would: the CLI
in-process (click's CliRunner) or as a real process on a pseudo-terminal.

Expected values come from elsewhere than the code under test: a compile stopped after
``discretize`` must print what ``nirc opt -p flatten-subgraphs,discretize`` prints (the
generic target's pipeline starts with exactly these two passes, see
``--print-pipeline``); the ``imported`` stage must be what ``nirc import`` prints; the
timing rows are disjoint parts of the total wall time; the time estimate is checked by
hand on a fake clock.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nirc.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


@pytest.fixture(scope="module")
def graphs(examples) -> Path:
    return examples["srnn"].parent


# ---- --list-passes ---------------------------------------------------------------------
def test_list_passes_gives_each_pass_a_description_and_its_options():
    from nirc.passes import get_all_passes

    result = run("opt", "--list-passes")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    heads = {line.split()[0]: line for line in lines if not line.startswith(" ")}
    assert sorted(heads) == sorted(get_all_passes())
    for name, line in heads.items():
        assert len(line.split(None, 1)) == 2 and "(no description)" not in line, line
    # quantize's options as its module docstring spells its pipeline:
    # quantize{target=generic weight-bits=8 per-channel=true symmetric=true ...}
    block = lines[lines.index(heads["quantize"]) + 1:]
    assert [line.strip() for line in block[:2]] == ["target: str = 'generic'",
                                                   "weight-bits: int | None = none"]
    options = [line.strip() for line in block if line.startswith(" ")]
    assert "per-channel: bool = true" in options and "symmetric: bool = true" in options


# ---- did you mean ----------------------------------------------------------------------
@pytest.mark.parametrize("args, needle", [
    (("opt", "-p", "flatten-subgraph"), "unknown pass 'flatten-subgraph'; did you mean "
                                        "'flatten-subgraphs'?"),
    (("opt", "-p", "discretize{dtt=1e-3}"), "pass 'discretize' has no option 'dtt'; did you "
                                            "mean 'dt'?"),
    (("opt", "-p", "dce", "--print-ir-after", "dcee"), "unknown pass 'dcee'; did you mean 'dce'?"),
    (("compile", "G", "--target", "xyl"), "unknown target 'xyl'; did you mean 'xylo'?"),
    (("compile", "G", "--target", "xylo{chips=2}"), "target 'xylo' has no option 'chips'; did "
                                                    "you mean 'chip'?"),
])
def test_misspelt_names_are_usage_errors_with_a_suggestion(graphs: Path, args, needle):
    args = tuple(str(graphs / "srnn.nir") if a == "G" else a for a in args)
    if args[0] == "opt":
        args = (args[0], str(graphs / "srnn.nir"), *args[1:])
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr


def test_compile_stop_after_and_stages_name_this_targets_passes(graphs: Path, tmp_path: Path):
    graph = str(graphs / "srnn.nir")
    result = run("compile", graph, "--target", "xylo", "--stop-after", "lower-to-xyl",
                 "-o", str(tmp_path / "a"))
    assert result.exit_code == 2
    assert "unknown pass 'lower-to-xyl' in this target's pipeline; did you mean " \
           "'lower-to-xylo'?" in result.stderr
    # Xylo quantizes inside lower-to-xylo: its pipeline has no quantize pass
    result = run("compile", graph, "--target", "xylo", "--emit-stage", "quantized",
                 "-o", str(tmp_path / "b"))
    assert result.exit_code == 2
    assert "(available: discretized, fused, imported, lowered)" in result.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# ---- --stop-after / --emit-stage -------------------------------------------------------
def test_stop_after_writes_the_ir_of_that_pass_only(graphs: Path, tmp_path: Path):
    graph = str(graphs / "srnn.nir")
    pipeline = run("compile", graph, "--target", "generic", "--print-pipeline").stdout
    assert pipeline.startswith("flatten-subgraphs,discretize,")
    result = run("compile", graph, "--target", "generic", "--stop-after", "discretize",
                 "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["srnn.discretize.mlir"]
    expected = run("opt", graph, "-p", "flatten-subgraphs,discretize").stdout
    assert (tmp_path / "srnn.discretize.mlir").read_text() == expected
    assert "pipeline   flatten-subgraphs,discretize\n" in result.stdout


def test_emit_stage_imported_is_the_imported_graph(graphs: Path, tmp_path: Path):
    graph = str(graphs / "nested.nir")
    result = run("compile", graph, "--target", "loihi2", "--emit-stage", "imported",
                 "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "nested.imported.mlir").read_text() == run("import", graph).stdout


# ---- compile: IR dumps and --timing ----------------------------------------------------
def test_compile_dumps_and_timing(graphs: Path, tmp_path: Path):
    graph = str(graphs / "cnn.nir")
    target = "generic{fidelity-steps=20 fidelity-batch=1}"
    passes = [p.split("{")[0] for p in
              run("compile", graph, "--target", target, "--print-pipeline").stdout.strip()
              .split(",")]
    result = run("compile", graph, "--target", target, "-o", str(tmp_path), "--timing",
                 "--print-ir-after", "quantize", "--print-ir-before=partition",
                 "--elide-large", "16")
    assert result.exit_code == 0, result.output
    err = result.stderr
    dumps = [line for line in err.splitlines() if "IR Dump" in line]
    assert dumps == ["// -----// IR Dump After quantize //----- //",
                     "// -----// IR Dump Before partition //----- //"]
    after_quantize = err.split(dumps[0])[1].split(dumps[1])[0]
    assert "qsnn.neuron" in after_quantize and "dense_resource<__elided__>" in after_quantize
    table = err.split("----Wall Time----  ----Name----\n")[1].splitlines()
    names = [row.split("%)", 1)[1].strip() for row in table]
    assert names == ["load", passes[0], "verifier", *passes[1:], "legalize", "emit",
                     "report and fidelity check", "write", "Total"]
    seconds = [float(row.split()[0]) for row in table]
    assert table[-1].split("(")[1].startswith("100.0%")
    assert sum(seconds[:-1]) <= seconds[-1] + 1e-3  # disjoint parts of the wall time
    assert (tmp_path / "cnn.mlir").exists()  # the target's files as usual


# ---- feedback on a terminal ------------------------------------------------------------
def _on_a_terminal(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run ``nirc ARGS`` with stderr on a pseudo-terminal: (exit code, stdout, stderr)."""
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "nirc.cli", *args], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out = process.stdout.read().decode()
    process.wait(timeout=120)
    return process.returncode, out, b"".join(chunks).decode()


def test_compile_shows_its_stages_on_a_terminal_and_is_quiet_in_a_pipe(graphs: Path,
                                                                        tmp_path: Path):
    args = ("compile", "cnn.nir", "--target", "generic{fidelity-steps=20 fidelity-batch=1}")
    code, out, err = _on_a_terminal(*args, "-o", str(tmp_path / "tty"), cwd=graphs)
    assert code == 0, err
    pipeline = next(line for line in out.splitlines() if line.startswith("pipeline"))
    import re

    for name in ("load", "flatten-subgraphs", "discretize", "fuse", "quantize", "partition",
                 "emit", "report and fidelity check", "write"):
        assert re.search(rf"^  {name} \.\.\.( |\r?\n.*?\r?\n  {name} )[0-9.]+ s\r?$", err,
                         re.M | re.S), (name, err)
        assert name in ("load", "emit", "report and fidelity check", "write") or name in pipeline
    for bar in ("fidelity: float graph", "fidelity: the integer chip"):
        assert re.search(rf"{bar} +\[#+\] +100%", err), (bar, err)
    piped = subprocess.run([sys.executable, "-m", "nirc.cli", *args, "-o",
                            str(tmp_path / "pipe")], cwd=graphs, capture_output=True,
                           text=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert piped.stdout == out.replace("tty", "pipe")
    # a failing stage: its open line is ended before the one-line error
    code, _, err = _on_a_terminal("compile", "cnn.nir", "--target",
                                  "generic{neurons-per-core=16 cores=2}", "-o",
                                  str(tmp_path / "bad"), cwd=graphs)
    assert code == 1
    assert re.search(r"^  partition \.\.\.\r?\nerror: cnn\.nir: field 'cores': ", err, re.M), err
    assert not (tmp_path / "bad").exists()


def test_progress_estimate_starts_after_the_first_update():
    """First update after a 10 s pause (numba compiling) at step 100 of 1000, the next
    at 12 s and step 300: 200 steps in 2 s, so the 700 left take 7 s.  Click's own
    estimate, elapsed / done * left = 12 / 300 * 700 = 28 s, counts the pause."""
    from nirc.feedback import Progress, remaining_seconds

    assert remaining_seconds((10.0, 100), (12.0, 300), 1000) == pytest.approx(7.0)
    assert remaining_seconds((10.0, 100), (10.0, 100), 1000) is None
    now = [0.0]
    bar = Progress("simulating", 1000, io.StringIO(), clock=lambda: now[0])
    bar.bar.start = 0.0
    now[0] = 10.0
    bar.update(100)
    now[0] = 12.0
    bar.update(300)
    assert bar.bar.pos == 300 and bar.bar.eta == pytest.approx(7.0)
    bar.close()


# ---- shell completion ------------------------------------------------------------------
def _complete(args: list[str], incomplete: str) -> list[str]:
    from click.shell_completion import BashComplete

    return [c.value for c in
            BashComplete(main, {}, "nirc", "_NIRC_COMPLETE").get_completions(args, incomplete)]


def test_completion_of_targets_and_passes():
    assert _complete(["compile", "G", "--target"], "s") == ["speck", "spinnaker2"]
    assert _complete(["opt", "G", "-p"], "flatten-subgraphs,dis") == [
        "flatten-subgraphs,discretize"]
    assert _complete(["opt", "G", "--print-ir-after"], "lower-to-s") == [
        "lower-to-speck", "lower-to-spinnaker2"]
    assert _complete(["compile", "G", "--emit-stage"], "") == [
        "imported", "discretized", "fused", "quantized", "partitioned", "lowered"]


def test_documented_completion_script_and_a_real_completion_request():
    env = {**os.environ, "_NIRC_COMPLETE": "bash_source"}
    nirc = str(Path(sys.executable).parent / "nirc")
    script = subprocess.run([nirc], env=env, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and "_nirc_completion()" in script.stdout
    env = {**os.environ, "_NIRC_COMPLETE": "bash_complete",
           "COMP_WORDS": "nirc compile g.nir --target xy", "COMP_CWORD": "4"}
    answer = subprocess.run([nirc], env=env, capture_output=True, text=True, timeout=60)
    assert answer.stdout.split() == ["plain,xylo"]


def test_annotation_lines_follow_mlir_offsets():
    """MLIR's rule: an annotation names its own line, @+N / @-N lines after / before it,
    @above / @below the neighbours (lines counted from the chunk's first line)."""
    from nirc.expected_diagnostics import annotations

    text = ("a // expected-error {{x}}\n"
            "// expected-warning@+2 {{y}}\n"
            "b\n"
            "c // expected-error@-1 {{z}} // expected-error@above {{w}}\n"
            "// expected-error@below {{v}}\n")
    found = [(e.kind, e.text, e.line) for e in annotations(text, first_line=10)]
    assert found == [("error", "x", 10), ("warning", "y", 13), ("error", "z", 12),
                     ("error", "w", 12), ("error", "v", 15)]
