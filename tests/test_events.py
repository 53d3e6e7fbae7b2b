"""``nirc run --input events.npy --events UNIT``: event lists binned into the Input's
raster at dt, checked against rasters written by hand."""

from __future__ import annotations

import nir
import numpy as np
import pytest
from click.testing import CliRunner

from nirc.cli import main
from nirc.diagnostics import NircError
from nirc.events import events_to_raster


def test_channel_events_bin_by_floor_of_t_over_dt():
    # dt = 1 ms; times in us: 0 -> step 0, 999 -> 0, 1000 -> 1, 2500 -> 2 (twice: a count)
    events = np.array([(0, 1), (999, 1), (1000, 0), (2500, 2), (2500, 2)], float)
    raster = events_to_raster(events, (3,), 1e-3, "us")
    expected = np.zeros((3, 1, 3), np.float32)
    expected[0, 0, 1] = 2
    expected[1, 0, 0] = 1
    expected[2, 0, 2] = 2
    assert np.array_equal(raster, expected)


def test_dvs_events_go_to_polarity_row_column():
    dvs = np.zeros(3, dtype=[("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("p", "u1")])
    dvs[:] = [(0, 3, 1, 1), (150, 0, 2, 0), (150, 0, 2, 0)]  # us, dt = 100 us
    raster = events_to_raster(dvs, (2, 3, 4), 1e-4, "us")
    assert raster.shape == (2, 1, 2, 3, 4) and raster.sum() == 3
    assert raster[0, 0, 1, 1, 3] == 1 and raster[1, 0, 0, 2, 0] == 2
    with pytest.raises(NircError, match="x = 4 is outside"):
        events_to_raster(np.array([(0, 4, 0, 0)], float), (2, 3, 4), 1e-4, "us")


def test_run_with_events_as_a_user(tmp_path):
    """A Scale of 1 passes the raster through: the output is the hand-binned raster."""
    graph = nir.NIRGraph(nodes={"input": nir.Input(np.array([2])), "s": nir.Scale(np.ones(2)),
                                "output": nir.Output(np.array([2]))},
                         edges=[("input", "s"), ("s", "output")], type_check=False)
    nir.write(tmp_path / "g.nir", graph)
    np.save(tmp_path / "ev.npy", np.array([(0.0, 0), (0.00025, 1), (0.0004, 1)]))  # seconds
    out = tmp_path / "o.npz"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "g.nir"), "--input",
                                       str(tmp_path / "ev.npy"), "--events", "s", "--dt", "1e-4",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    expected = np.array([[1, 0], [0, 0], [0, 1], [0, 0], [0, 1]], np.float32)
    assert np.array_equal(np.load(out)["output"].reshape(5, 2), expected)
    bad = CliRunner().invoke(main, ["run", str(tmp_path / "g.nir"), "--generate-input",
                                    "steps=5", "--events", "s"])
    assert bad.exit_code == 2
