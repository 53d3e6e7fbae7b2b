""".nirt, the NIR text format: lossless round trips, layout, errors, CLI, git textconv.

Requirements (issue 3): graph -> .nirt -> graph gives an equal graph for every node type
and variant (every field with the same dtype, bits and Python type: strict comparison
by ``tests/nir_equal.graph_differences``, which uses no nirc code), with large arrays in
a side file, inline base64, or inline rows; printing is deterministic (text -> graph ->
text is identical); .nir -> .nirt -> .nir is lossless on the conformance files; a layer
of cnn_sinabs fits on one screen; errors are one line with file:line:col, what was
expected and what was found, naming node and field, and leave no output behind.
Expected values come from nir's constructors, the bits of the inputs, or hand-written
text, never from the printer under test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nir
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nir_equal import graph_differences
from nirc.cli import main
from nirc.convert import convert
from nirc.diagnostics import NircError
from nirc.loading import load_module
from nirc.nir_file import read_nir
from nirc.nirt_file import read_nirt, side_path, write_nirt
from nirc.nirt_parse import parse_nirt
from nirc.nirt_print import print_nirt
from strategies import all_features, graphs

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = (REPO / ".." / "shared" / "conformance" / "nir-paper").resolve()
NO_SHARED = "../shared/conformance not present (a user's clone has no ../shared)"
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=True)


def assert_equal(a: nir.NIRGraph, b: nir.NIRGraph) -> None:
    diffs = graph_differences(a, b, strict_types=True)
    assert diffs == [], "\n".join(diffs)


def text_roundtrip(graph: nir.NIRGraph, inline_max: int, large: str, workdir: Path) -> str:
    """graph -> .nirt (side file / base64) -> graph equal; the reprint is identical."""
    if large == "side":
        path = workdir / "g.nirt"
        side_path(path).unlink(missing_ok=True)  # a stale side file from an earlier write
        write_nirt(graph, path, inline_max=inline_max)
        text = path.read_text(encoding="utf-8")
        assert side_path(path).exists() == bool(print_nirt(graph, inline_max=inline_max)[1])
        back = read_nirt(str(path))
    else:
        text = print_nirt(graph, inline_max=inline_max, large=large)[0]
        back = parse_nirt(text)  # no side file: it would fail on an @ reference
    assert_equal(graph, back)
    assert print_nirt(back, inline_max=inline_max, large=large)[0] == text  # deterministic
    return text


# -------------------------------------------------------------------------------------
# generated graphs: every node type and variant, in memory (file_safe=False also draws
# 0-d ndarrays, None conv input_shape / Flatten input_type, Python ints and tuples)


@settings(max_examples=60, **SETTINGS)
@given(graphs(file_safe=False), st.sampled_from([0, 3, 16]), st.sampled_from(["side", "base64"]))
def test_generated_graph_roundtrip(graph, inline_max, large):
    with tempfile.TemporaryDirectory() as tmp:
        text_roundtrip(graph, inline_max, large, Path(tmp))


@pytest.mark.parametrize("feature", all_features(file_safe=False))
@settings(max_examples=3, **SETTINGS)
@given(data=st.data())
def test_generated_feature_roundtrip(feature, data):
    graph = data.draw(graphs(file_safe=False, require=feature), label=feature)
    with tempfile.TemporaryDirectory() as tmp:
        for inline_max, large in ((16, "side"), (0, "side"), (2, "base64")):
            text_roundtrip(graph, inline_max, large, Path(tmp))


@settings(max_examples=15, **SETTINGS)
@given(graphs())
def test_generated_nir_file_roundtrip(graph):
    """.nir -> .nirt (+ side file) -> .nir with `convert`: the re-read files are equal."""
    with tempfile.TemporaryDirectory() as tmp:
        original, text, again = (Path(tmp) / n for n in ("g.nir", "g.nirt", "again.nir"))
        nir.write(original, graph)
        convert(str(original), str(text), inline_max=3)
        convert(str(text), str(again))
        assert_equal(read_nir(original), read_nir(again))


# -------------------------------------------------------------------------------------
# conformance files


def _conformance_params():
    if not CONFORMANCE.is_dir():
        return [pytest.param(None, id="absent")]
    return [pytest.param(p, id=p.name) for p in sorted(CONFORMANCE.glob("*.nir"))]


@pytest.mark.parametrize("path", _conformance_params())
def test_conformance_roundtrip(path, tmp_path):
    if path is None:
        pytest.skip(NO_SHARED)
    for options in ({}, {"base64": True}, {"inline_max": 0}):
        text, again = tmp_path / "g.nirt", tmp_path / "again.nir"
        convert(str(path), str(text), **options)
        convert(str(text), str(again))
        assert_equal(read_nir(path), read_nir(again))
        if path.name == "lif_norse.nir":  # nir.read loads only this one (nested names, groups)
            assert graph_differences(nir.read(path), nir.read(again)) == []
        assert read_nirt(str(text)) is not None and text.read_text().startswith("nirt 1\n")


def _statements(text: str) -> list[list[str]]:
    """Top-level statements: a line not starting with a space begins one."""
    out: list[list[str]] = []
    for line in text.splitlines()[1:]:
        if line.startswith(" ") and out:
            out[-1].append(line)
        else:
            out.append([line])
    return out


def test_cnn_sinabs_fits_one_screen_per_layer(tmp_path):
    path = CONFORMANCE / "cnn_sinabs.nir"
    if not path.exists():
        pytest.skip(NO_SHARED)
    graph = read_nir(path)
    text_path = tmp_path / "cnn.nirt"
    write_nirt(graph, text_path)
    text = text_path.read_text()
    nodes = [s for s in _statements(text) if " = " in s[0]]
    assert sorted(s[0].split(" = ")[0] for s in nodes) == sorted(graph.nodes)
    for statement in nodes:
        assert len(statement) <= 6 and all(len(line) <= 120 for line in statement), statement
    with np.load(side_path(text_path)) as side:  # the weights live in the side file
        assert np.array_equal(side["0.weight"], graph.nodes["0"].weight)
        assert side["0.weight"].dtype == np.float32
    assert_equal(graph, read_nirt(str(text_path)))


# -------------------------------------------------------------------------------------
# the reference's example (docs/nirt.md), against the same graph built with nir


def _doc_example() -> str:
    doc = (REPO / "docs" / "nirt.md").read_text()
    return re.search(r"```nirt\n(.*?)```", doc, re.S).group(1)


def _expected_doc_graph() -> nir.NIRGraph:
    f32, f64 = np.float32, np.float64
    ones3, zeros3 = np.ones(3, f32), np.zeros(3, f32)

    def lif(tau):
        return nir.LIF(tau=np.array(tau, f32), r=ones3, v_leak=zeros3, v_threshold=ones3,
                       v_reset=zeros3)

    cuba = dict(tau_syn=np.full(3, 0.005), tau_mem=np.full(3, 0.01), r=np.ones(3),
                v_leak=np.zeros(3))
    rec = nir.NIRGraph(nodes={"x": nir.Input(np.array([3])), "neuron": lif([0.02] * 3),
                              "y": nir.Output(np.array([3]))},
                       edges=[("x", "neuron"), ("neuron", "y")],
                       metadata={"kind": "recurrent block"}, type_check=False)
    nodes = {
        "in": nir.Input(np.array([1, 4, 4])),
        "conv": nir.Conv2d(input_shape=(4, 4), weight=np.full((2, 1, 3, 3), 0.125, f32),
                           stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1,
                           bias=np.array([0, -0.5], f32)),
        "sumpool": nir.SumPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0])),
        "avgpool": nir.AvgPool2d(np.array([1, 1]), np.array([1, 1]), np.array([0, 0])),
        "flat": nir.Flatten(input_type=np.array([2, 2, 2]), start_dim=0, end_dim=-1),
        "fc": nir.Affine(weight=np.full((3, 8), 0.25, f32), bias=np.array([0.1, 0.2, 0.3], f32),
                         metadata={"layer": 1}),
        "lin": nir.Linear(weight=np.eye(3, dtype=f32)),
        "scale": nir.Scale(np.array([2, 2, 0.5], f32)),
        "thr": nir.Threshold(ones3),
        "delay": nir.Delay(np.array([0.001, 0.002, 0], f32)),
        "li": nir.LI(tau=np.array([0.01, 0.01, 0.02], f32), r=ones3, v_leak=zeros3),
        "lif": lif([0.01] * 3),
        "culi": nir.CubaLI(**cuba, w_in=np.ones(3, f64)),
        "culif": nir.CubaLIF(**cuba, v_threshold=np.ones(3), v_reset=np.zeros(3), w_in=np.ones(3)),
        "integ": nir.I(r=ones3),
        "if": nir.IF(r=ones3, v_threshold=ones3, v_reset=zeros3),
        "rec": rec,
        "out": nir.Output(np.array([3])),
        "in2": nir.Input(np.array([2, 5])),
        "conv1d": nir.Conv1d(input_shape=5, weight=np.full((1, 2, 3), 0.5, f32), stride=1,
                             padding="same", dilation=1, groups=1, bias=np.zeros(1, f32)),
        "out2": nir.Output(np.array([1, 5])),
    }
    chain = ["in", "conv", "sumpool", "avgpool", "flat", "fc", "lin", "scale", "thr", "delay",
             "li", "lif", "culi", "culif", "integ", "if", "rec.x"]
    edges = list(zip(chain, chain[1:])) + [("rec.y", "out"), ("lif", "lif"), ("in2", "conv1d"),
                                           ("conv1d", "out2")]
    metadata = {"source": "docs/nirt.md", "dt": np.float64(1e-4), "sizes": [8, 3],
                "gain": np.array(0.5, f32)}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)


def test_doc_example_states_every_node_type(tmp_path):
    graph = parse_nirt(_doc_example())
    assert_equal(_expected_doc_graph(), graph)
    kinds = {type(n).__name__ for n in graph.nodes.values()}
    assert len(kinds) == 19  # the 18 node types and NIRGraph
    path = tmp_path / "doc.nirt"
    path.write_text(_doc_example())
    load_module(str(path))  # imports and verifies (shapes along every edge)


def test_python_types_are_kept():
    graph = parse_nirt('nirt 1\nmetadata {a: 3, b: i64 3, c: i64[] 3, d: i64[1] [3], e: (3,), '
                       'f: [3], g: 3.0, h: f32 3.0, i: true, j: bool true, k: "3", l: none, '
                       '"m n": {}, o: ()}\n')
    m = graph.metadata
    assert [type(m[k]) for k in "abcdefghijkl"] == [
        int, np.int64, np.ndarray, np.ndarray, tuple, list, float, np.float32, bool, np.bool_,
        str, type(None)]
    assert m["c"].shape == () and m["d"].shape == (1,) and m["m n"] == {} and m["o"] == ()


def test_floats_keep_their_bits():
    rng = np.random.default_rng(7)
    arrays = {
        "f16": np.arange(2**16, dtype=np.uint16).view(np.float16),  # every float16
        "f32": rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32),
        "f64": rng.integers(0, 2**63, 20000, dtype=np.uint64).view(np.float64),
    }
    for name, array in arrays.items():
        array = np.concatenate([array, np.array([0.0, -0.0, np.inf, -np.inf, np.nan], array.dtype)])
        graph = nir.NIRGraph(nodes={"s": nir.Scale(array)}, edges=[], type_check=False)
        text = print_nirt(graph, inline_max=10**6)[0]
        assert "base64" not in text and "-0.0" in text and "nan(0x" in text, name
        back = parse_nirt(text).nodes["s"].scale
        uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[array.dtype.itemsize]
        assert back.dtype == array.dtype and np.array_equal(back.view(uint), array.view(uint)), name


def test_awkward_names_and_keys_round_trip(tmp_path):
    w = np.arange(20, dtype=np.float32).reshape(4, 5)
    sub = nir.NIRGraph(nodes={"b": nir.Linear(weight=w), "in": nir.Input(np.array([5]))},
                       edges=[("in", "b")], type_check=False)
    nodes = {"a": sub, "a.b": nir.Linear(weight=w + 1)}
    nodes.update({name: nir.Scale(np.ones(2)) for name in ("sé", "my layer", "metadata", "x-")})
    edges = [("sé", "my layer"), ("my layer", "metadata"), ("metadata", "x-"), ("a.b", "a.in")]
    metadata = {"key with space": {"-": "ü\u0000\"\\"}, "true": 1}
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)
    text = text_roundtrip(graph, 16, "side", tmp_path)
    assert '@"a.b.weight"' in text and '@"a.b.weight~2"' in text  # keys stay unique
    assert '"sé" -> "my layer" -> "metadata" -> "x-"' in text


# -------------------------------------------------------------------------------------
# errors: one line, file:line:col, expected/found or node and field, nothing written

GOOD = """nirt 1
x = Input(shape=i64[1] [2])
fc = Affine(weight=f32[2,2] [[1.0, 0.0], [0.0, 1.0]], bias=f32[2] [0.0, 0.0])
y = Output(shape=i64[1] [2])
x -> fc -> y
"""

ERRORS = {
    "no-version": ("x = Input(shape=i64[1] [2])\n",
                   ["bad.nirt:1:1:", "starts with the version line 'nirt 1'", "expected 'nirt'",
                    "found 'x'"]),
    "version-2": ("nirt 2\n", ["bad.nirt:1:6:", "unsupported .nirt version 2"]),
    "missing-comma": ("nirt 1\nx = LIF(tau=f32 1.0 r=f32 1.0)\n",
                      ["bad.nirt:2:21:", "expected ')' or ','", "found 'r'"]),
    "bad-character": ("nirt 1\nx = Scale(scale=f32[2] $)\n",
                      ["bad.nirt:2:24:", "found '$'", "'fill'"]),
    "unclosed-block": ("nirt 1\ns = NIRGraph {\n", ["bad.nirt:2:", "'}'", "found end of file"]),
    "unknown-type": ("nirt 1\nx = Foo(a=1)\n",
                     ["bad.nirt:2:5:", "node 'x'", "unknown node type 'Foo'"]),
    "unknown-param": ("nirt 1\nx = Scale(scale=f32[1] [1.0], gain=2)\n",
                      ["bad.nirt:2:31:", "node 'x', field 'gain'",
                       "unknown parameter of a Scale node"]),
    "missing-param": ("nirt 1\nx = LI(tau=f32[1] [1.0], r=f32[1] [1.0])\n",
                      ["bad.nirt:2:5:", "node 'x', field 'v_leak'", "required parameter"]),
    "int-range": ("nirt 1\nx = Scale(scale=i8[2] [1, 300])\n",
                  ["bad.nirt:2:27:", "node 'x', field 'scale'", "300 does not fit in i8"]),
    "float-in-int": ("nirt 1\nx = Scale(scale=i32[1] [1.5])\n",
                     ["bad.nirt:2:25:", "'1.5' is not an integer (dtype i32)"]),
    "str-for-numbers": ('nirt 1\nx = Scale(scale="big")\n',
                        ["node 'x', field 'scale'", "has dtype str ('big'), expected numbers"]),
    "rows-vs-shape": ("nirt 1\nx = Scale(scale=f32[2,2] [[1.0, 2.0], [3.0]])\n",
                      ["bad.nirt:2:39:", "node 'x', field 'scale'",
                       "a row has 1 element, the shape says 2"]),
    "base64-length": ('nirt 1\nx = Scale(scale=f32[2] base64 "AAAA")\n',
                      ["node 'x', field 'scale'", "holds 3 bytes, f32[2] needs 8"]),
    "param-shapes": ("nirt 1\nx = LI(tau=f32[2] [1.0, 1.0], r=f32[1] [1.0], "
                     "v_leak=f32[2] [0.0, 0.0])\n",
                     ["bad.nirt:2:5:", "node 'x'", "invalid LI node"]),
    "graph-shapes": (GOOD.replace("i64[1] [2])\nfc", "i64[1] [3])\nfc"),  # found by importing
                     ["node 'fc'", "input shape [3] does not match"]),
    "dangling-edge": (GOOD + "fc -> z\n", ["bad.nirt:6:7:", "edge endpoint 'z' names no node"]),
    "twice": (GOOD + "x = Input(shape=i64[1] [2])\n",
              ["bad.nirt:6:1:", "node 'x'", "defined twice"]),
    "digest": ("nirt 1\nx = Scale(scale=f32[20] <sha256:0123456789ab min=0 max=1 mean=0.5>)\n",
               ["bad.nirt:2:25:", "node 'x', field 'scale'", "for reading only"]),
    "no-side-file": ('nirt 1\nx = Scale(scale=f32[20] @"x.scale")\n',
                     ["bad.nirt:2:26:", "node 'x', field 'scale'", "bad.npz not found"]),
}


@pytest.mark.parametrize("case", list(ERRORS))
@pytest.mark.parametrize("command", ["convert", "import"])
def test_bad_nirt_one_line_error(case, command, tmp_path):
    text, needles = ERRORS[case]
    (tmp_path / "bad.nirt").write_text(text)
    before = set(os.listdir(tmp_path))
    out = tmp_path / ("out.nir" if command == "convert" else "out.mlir")
    args = ["convert", str(tmp_path / "bad.nirt"), str(out)] if command == "convert" else [
        "import", str(tmp_path / "bad.nirt"), "-o", str(out)]
    result = run(*args)
    assert result.exit_code == 1, (result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr
    line = lines[0].replace(str(tmp_path) + os.sep, "")
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert set(os.listdir(tmp_path)) == before


def test_good_text_of_the_error_cases_converts(tmp_path):
    (tmp_path / "good.nirt").write_text(GOOD)
    assert run("convert", str(tmp_path / "good.nirt"), str(tmp_path / "good.nir")).exit_code == 0
    graph = nir.read(tmp_path / "good.nir")
    assert graph.nodes["fc"].weight.tolist() == [[1, 0], [0, 1]] and ("fc", "y") in graph.edges


def test_unprintable_value_writes_nothing(tmp_path):
    graph = nir.NIRGraph(nodes={"a": nir.Scale(np.arange(40.0)),
                                "b": nir.Scale(np.ones(2), metadata={"z": 1j})},
                         edges=[], type_check=False)
    with pytest.raises(NircError, match="node 'b', field 'metadata': cannot write a value of "
                                        "type complex"):
        write_nirt(graph, tmp_path / "g.nirt", inline_max=4)
    assert os.listdir(tmp_path) == []


# -------------------------------------------------------------------------------------
# the command line


@pytest.fixture(scope="module")
def srnn(examples) -> Path:
    return examples["srnn"]


def test_convert_to_stdout_inlines_base64(srnn, tmp_path):
    result = run("convert", str(srnn), "-")
    assert result.exit_code == 0 and "base64" in result.stdout and "@" not in result.stdout
    assert_equal(read_nir(srnn), parse_nirt(result.stdout))
    assert run("convert", str(srnn)).stdout == result.stdout  # TARGET defaults to stdout
    again = run("convert", "-", str(tmp_path / "again.nir"), input=result.stdout)  # stdin
    assert again.exit_code == 0
    assert_equal(read_nir(srnn), read_nir(tmp_path / "again.nir"))


def test_convert_options(srnn, tmp_path):
    target = tmp_path / "s.nirt"
    assert run("convert", str(srnn), str(target), "--inline-max", "2000").exit_code == 0
    assert "@" not in target.read_text() and not side_path(target).exists()
    assert run("convert", str(srnn), str(target), "--base64").exit_code == 0
    assert "base64" in target.read_text() and not side_path(target).exists()
    digest = run("convert", "--digest-large", str(srnn)).stdout
    assert re.search(r"weight=f32\[38,12\] <sha256:[0-9a-f]{12} min=\S+ max=\S+ mean=\S+>", digest)
    usage = run("convert", str(srnn), str(tmp_path / "x.nir"), "--base64")
    assert usage.exit_code == 2 and not (tmp_path / "x.nir").exists()


def test_convert_recognises_unnamed_inputs_by_content(srnn, tmp_path):
    """git's textconv may pass a temporary copy: HDF5 or `nirt` text, whatever its name."""
    shutil.copy(srnn, tmp_path / "blob1")
    text = run("convert", str(tmp_path / "blob1")).stdout
    assert text.startswith("nirt 1\n")
    (tmp_path / "blob2").write_text(text)
    assert run("convert", str(tmp_path / "blob2")).stdout == text
    (tmp_path / "blob3").write_text("neither\n")
    result = run("convert", str(tmp_path / "blob3"))
    assert result.exit_code == 1 and "cannot tell the format" in result.stderr


def test_show_and_import_read_nirt_like_nir(srnn, tmp_path):
    target = tmp_path / "srnn.nirt"
    assert run("convert", str(srnn), str(target)).exit_code == 0
    assert run("import", str(target)).stdout == run("import", str(srnn)).stdout
    show_text, show_nir = run("show", str(target)).stdout, run("show", str(srnn)).stdout
    assert show_text.replace(str(target), "G") == show_nir.replace(str(srnn), "G")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_textconv_driver_as_documented(srnn, tmp_path):
    """README: `*.nir diff=nir` + `git config diff.nir.textconv 'nirc convert --digest-large'`."""
    readme = (REPO / "README.md").read_text()
    documented = re.search(r"git config diff\.nir\.textconv '([^']*)'", readme).group(1)
    nirc = Path(sys.executable).with_name("nirc")
    command = documented.replace("nirc", str(nirc), 1)
    env = {**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path / "repo", env=env, check=True,
                              capture_output=True, text=True, timeout=60).stdout

    (tmp_path / "repo").mkdir()
    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    git("config", "diff.nir.textconv", command)
    (tmp_path / "repo" / ".gitattributes").write_text("*.nir diff=nir\n")
    graph = read_nir(srnn)
    nir.write(tmp_path / "repo" / "model.nir", graph)
    git("add", ".")
    git("commit", "-qm", "model")
    graph.nodes["lif2"].v_threshold = graph.nodes["lif2"].v_threshold * 2
    nir.write(tmp_path / "repo" / "model.nir", graph)
    diff = git("diff", "model.nir")
    assert "-    v_leak=f64[7] fill 0.0, v_threshold=f64[7] fill 1.0" in diff
    assert "+    v_leak=f64[7] fill 0.0, v_threshold=f64[7] fill 2.0" in diff
    assert "Binary files" not in diff
