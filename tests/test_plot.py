"""``nirc plot`` and ``nirc run --plot``: each plot type rendered to PNG (headless) and
inspected: the image has the size the figure asks for and real content (a fraction of
non-background pixels), and the raster's dots sit where the spikes are."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402

from nirc.plot import plot_report, plot_results  # noqa: E402


def ink(path: Path) -> tuple[tuple[int, int], float]:
    """(height, width) of the PNG and the fraction of pixels that are not white."""
    image = imread(str(path))[..., :3]
    return image.shape[:2], float((image.min(axis=2) < 0.9).mean())


def nirc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nirc.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_raster_histogram_and_trace(tmp_path):
    spikes = np.zeros((50, 2, 3), np.float32)
    spikes[10, 0, 1] = spikes[30, 0, 2] = 1
    v = np.sin(np.linspace(0, 6, 50))[:, None, None] * np.ones((1, 2, 3))
    plot_results({"out": spikes}, str(tmp_path / "r.png"))
    plot_results({"out": spikes, "lif.v": v}, str(tmp_path / "rv.png"), thresholds={"lif.v": 0.5})
    (h1, w1), f1 = ink(tmp_path / "r.png")
    (h2, w2), f2 = ink(tmp_path / "rv.png")
    assert (w1, w2) == (1000, 1000) and (h1, h2) == (260, 520)  # 10 x 2.6 inches per row at 100 dpi
    assert 0.01 < f1 < 0.5 and 0.01 < f2 < 0.5
    # an empty raster draws less ink than one with spikes
    plot_results({"out": np.zeros_like(spikes)}, str(tmp_path / "empty.png"))
    assert ink(tmp_path / "empty.png")[1] < f1


def test_report_plot_and_missing_fidelity(tmp_path):
    report = {"target": "xylo{chip=syns61201}", "xylo": {"fidelity": {
        "steps": 20, "samples": 1, "per_neuron": [1.0, 0.5], "mean": 0.75,
        "rasters": {"sample": 0, "latency": 1, "float": [[1, 5], [3]], "chip": [[1, 5], []]}}}}
    plot_report(report, str(tmp_path / "rep.png"))
    shape, fraction = ink(tmp_path / "rep.png")
    assert shape == (520, 1000) and fraction > 0.01
    from nirc.diagnostics import NircError

    with pytest.raises(NircError, match="no fidelity"):
        plot_report({"target": "interp"}, str(tmp_path / "none.png"))


def test_cli_run_plot_compile_report_plot(tmp_path):
    from nirc.examples import write_examples

    write_examples(tmp_path)
    run = nirc("run", "srnn.nir", "--generate-input", "rate=0.2,steps=100,batch=2",
               "--record", "lif1.v", "-o", "o.npz", "--plot", "run.svg", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run.svg").read_text().lstrip().startswith("<?xml")
    done = nirc("plot", "o.npz", cwd=tmp_path)
    assert done.returncode == 0 and ink(tmp_path / "o.png")[1] > 0.01
    compiled = nirc("compile", "srnn.nir", "--target", "xylo{fidelity-steps=60 fidelity-batch=2}",
                    "-o", "out", "--report", "r.json", cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stderr
    rasters = json.loads((tmp_path / "r.json").read_text())["xylo"]["fidelity"]["rasters"]
    assert rasters["latency"] == 1 and len(rasters["float"]) == 7
    done = nirc("plot", "r.json", "-o", "r.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert ink(tmp_path / "r.png")[1] > 0.01
    bad = nirc("plot", "r.json", "-o", "r.bmp", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("error: r.bmp: unknown plot format")
    assert not (tmp_path / "r.bmp").exists()


def test_run_plot_draws_the_recorded_neurons_threshold(tmp_path):
    """`run --record lif.v --plot` passes each recorded membrane's threshold (0.75, as the
    file has it) to the trace panel: red pixels (the dashed threshold line) appear in the
    figure, and only where a threshold is known."""
    import nir

    from nirc.loading import load_module
    from nirc.plot import recorded_thresholds

    n = np.ones(2)
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(np.array([2])),
               "lif": nir.LIF(tau=n * 1e-2, r=n, v_leak=0 * n, v_threshold=0.75 * n,
                              v_reset=0 * n),
               "output": nir.Output(np.array([2]))},
        edges=[("input", "lif"), ("lif", "output")], type_check=False)
    path = tmp_path / "g.nir"
    nir.write(path, graph)
    assert recorded_thresholds(load_module(str(path)), ["lif.v", "output"]) == {"lif.v": 0.75}
    result = nirc("run", str(path), "--generate-input", "rate=0.5,steps=200,batch=1",
                  "--record", "lif.v", "--plot", str(tmp_path / "p.png"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    image = imread(str(tmp_path / "p.png"))[..., :3]
    red = (image[..., 0] > 0.8) & (image[..., 1] < 0.3) & (image[..., 2] < 0.3)
    assert red[image.shape[0] // 2:].sum() > 100  # in the lower (trace) panel
