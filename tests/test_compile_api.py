"""``nirc.compile``: the Python API gives what ``nirc compile`` and ``nirc run --target``
give (the same bytes, the same report, the same simulation), and writes all or none."""

from __future__ import annotations

import json
from pathlib import Path

import nir
import numpy as np
import pytest
from click.testing import CliRunner

import nirc
from nirc.cli import main
from nirc.diagnostics import NircError


@pytest.fixture(scope="module")
def srnn(examples) -> Path:
    return examples["srnn"]


def test_files_and_report_equal_the_command_line(srnn, tmp_path):
    result = nirc.compile(srnn, target="xylo", dt=1e-4)
    cli = CliRunner().invoke(main, ["compile", str(srnn), "--target", "xylo", "--dt", "1e-4",
                                    "-o", str(tmp_path / "out"), "--report", str(tmp_path / "r.json")])
    assert cli.exit_code == 0, cli.output
    assert sorted(result.files) == sorted(p.name for p in (tmp_path / "out").iterdir())
    for name, data in result.files.items():
        assert (tmp_path / "out" / name).read_bytes() == data
    assert json.loads((tmp_path / "r.json").read_text())["xylo"]["latency"] == result.report["xylo"]["latency"]


def test_graph_as_object_and_bytes(srnn):
    by_path = nirc.compile(srnn, target="interp")
    by_object = nirc.compile(nir.read(str(srnn)), target="interp", name="srnn")
    by_bytes = nirc.compile(srnn.read_bytes(), target="interp", name="srnn")
    assert by_path.files == by_object.files == by_bytes.files
    with pytest.raises(NircError, match="bytes"):
        nirc.compile(b"\x89HDF-not-really", target="interp")


def test_simulate_is_nirc_run_target(srnn, tmp_path):
    x = (np.random.default_rng(3).random((60, 2, 12)) < 0.2).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    ours = nirc.compile(srnn, target="xylo").simulate(x, keep_batch_axis=True)
    cli = CliRunner().invoke(main, ["run", str(srnn), "--target", "xylo", "--input",
                                    str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.npz")])
    assert cli.exit_code == 0, cli.output
    np.testing.assert_array_equal(np.load(tmp_path / "o.npz")["output"], ours["output"])
    assert ours["output"].sum() > 0


def test_write_is_all_or_none(srnn, tmp_path):
    result = nirc.compile(srnn, target="xylo")
    (tmp_path / "blocker").write_text("a file where the report's folder should be")
    with pytest.raises(NircError):
        result.write(tmp_path / "out", report=str(tmp_path / "blocker" / "r.json"))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    written = result.write(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(result.files)


def test_unknown_option_is_refused(srnn):
    with pytest.raises(TypeError, match="dtt"):
        nirc.compile(srnn, target="interp", dtt=1e-3)
