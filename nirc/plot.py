"""``nirc plot``: figures of simulation results and compile reports (matplotlib, optional).

- ``OUT.npz`` (``nirc run -o``; arrays (T, B, *shape) by node name): per spiking array a
  raster of sample 0 (neuron against step) and a histogram of spike counts per neuron
  (summed over steps and samples); per other array (membrane ``lif1.v``, currents, a
  voltage readout) the traces of sample 0 (at most 8 neurons), with a dashed line at
  each threshold given (``thresholds``: name -> value).
- a compile report ``R.json`` (``nirc compile --report``): the fidelity check's
  per-output-neuron agreement of the float graph and the chip (bars), and, where the
  report holds them (``fidelity.rasters``), the two output rasters of sample 0 with the
  chip's shifted back by its latency, overlaid.

Rendering uses matplotlib's Agg canvas through ``matplotlib.figure.Figure`` (no GUI,
no pyplot state), so it works headless; the file type follows the extension (.png,
.svg, .pdf).  Output is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .diagnostics import NircError

MAX_TRACES = 8


def _figure(rows: int):
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise NircError("plotting needs matplotlib: pip install 'nirc[plot]'") from None
    return Figure(figsize=(10, 2.6 * rows), layout="constrained")


def _spiking(a: np.ndarray) -> bool:
    return bool(a.size) and bool(np.isin(a, (0, 1)).all() or
                                 (np.issubdtype(a.dtype, np.integer) and a.min() >= 0))


def _flat(a: np.ndarray) -> np.ndarray:
    """(T, B, *shape) or (T, *shape) -> (T, B, N)."""
    a = np.asarray(a)
    if a.ndim == 1:
        a = a[:, None, None]
    elif a.ndim == 2:
        a = a[:, None, :]
    return a.reshape(a.shape[0], a.shape[1], -1)


def plot_results(results: dict[str, np.ndarray], path: str,
                 thresholds: dict[str, float] | None = None, title: str = "") -> None:
    """Rasters and spike-count histograms of spiking arrays, traces of the others."""
    if not results:
        raise NircError("nothing to plot: no arrays", file=title or None)
    thresholds = thresholds or {}
    panels = [(name, _flat(a)) for name, a in results.items()]
    fig = _figure(len(panels))
    grid = fig.add_gridspec(len(panels), 3)
    for row, (name, a) in enumerate(panels):
        if _spiking(a):
            ax = fig.add_subplot(grid[row, :2])
            t, n = np.nonzero(a[:, 0])
            ax.scatter(t, n, s=4, marker="|", color="k")
            ax.set(xlim=(0, a.shape[0]), ylim=(-0.5, a.shape[2] - 0.5), xlabel="step",
                   ylabel="neuron", title=f"{name}: spikes of sample 0 ({int(a[:, 0].sum())})")
            hist = fig.add_subplot(grid[row, 2])
            hist.bar(np.arange(a.shape[2]), a.sum(axis=(0, 1)), color="tab:blue")
            hist.set(xlabel="neuron", ylabel="spikes",
                     title=f"counts over {a.shape[1]} sample(s)")
        else:
            ax = fig.add_subplot(grid[row, :])
            shown = min(a.shape[2], MAX_TRACES)
            for i in range(shown):
                ax.plot(a[:, 0, i], lw=0.8, label=f"{i}")
            if name in thresholds:
                ax.axhline(thresholds[name], ls="--", color="r", label="threshold")
            ax.set(xlabel="step", title=f"{name}: sample 0, neurons 0..{shown - 1} of {a.shape[2]}")
            ax.legend(fontsize=6, ncol=min(shown + 1, 9), loc="upper right")
    if title:
        fig.suptitle(title)
    _save(fig, path)


def recorded_thresholds(module, names) -> dict[str, float]:
    """For each recorded membrane ``NODE.v`` (or ``PATH.NODE.v``) of a neuron whose
    ``v_threshold`` is one value, that value (the line ``plot_results`` draws), read from
    the module the run simulated: NIR units at the nir stage, the same units as the
    recorded v (the snn stage keeps them)."""
    from nirc.dialects.arrays import to_numpy
    from nirc.dialects.nir_graph import node_name_of

    wanted = {n.rsplit(".", 1)[0].rsplit(".", 1)[-1]: n for n in names if n.endswith(".v")}
    found: dict[str, float] = {}
    for op in module.walk():
        name = node_name_of(op)
        attr = op.properties.get("v_threshold")
        if name in wanted and attr is not None and hasattr(attr, "get_shape"):
            values = np.unique(to_numpy(attr))
            if values.size == 1:
                found[wanted[name]] = float(values[0])
    return found


def plot_report(report: dict, path: str, title: str = "") -> None:
    """Float-vs-chip agreement per output neuron and, if present, the aligned rasters."""
    fidelity = next((s["fidelity"] for s in report.values()
                     if isinstance(s, dict) and isinstance(s.get("fidelity"), dict)), None)
    if not fidelity or not fidelity.get("steps"):
        raise NircError("the report has no fidelity check to plot (target "
                        f"{report.get('target', '?')})", file=title or None)
    rasters = fidelity.get("rasters")
    fig = _figure(2 if rasters else 1)
    ax = fig.add_subplot(2 if rasters else 1, 1, 1)
    agreement = fidelity["per_neuron"]
    ax.bar(np.arange(len(agreement)), agreement, color="tab:green")
    ax.axhline(1.0, color="k", lw=0.5)
    mean = fidelity.get("mean")
    ax.set(ylim=(0, 1.05), xlabel="output neuron", ylabel="agreement",
           title=f"{str(report.get('target', '')).split('{')[0]}: float graph vs chip, per output neuron "
           f"(mean {'undefined' if mean is None else f'{mean:.3f}'}, {fidelity['samples']} "
           f"samples x {fidelity['steps']} steps)")
    if rasters:
        ax = fig.add_subplot(2, 1, 2)
        for key, color, mark, offset in (("float", "tab:blue", "|", -0.15),
                                         ("chip", "tab:red", "|", 0.15)):
            for n, steps in enumerate(rasters[key]):
                ax.scatter(steps, np.full(len(steps), n + offset), s=8, marker=mark, color=color,
                           label=key if n == 0 else None)
        ax.set(xlabel="step (chip shifted back by its latency)", ylabel="output neuron",
               title=f"output spikes of sample {rasters['sample']}, latency {rasters['latency']} "
               "step(s)")
        ax.legend(loc="upper right", fontsize=7)
    if title:
        fig.suptitle(title)
    _save(fig, path)


def plot_file(source: str, path: str) -> None:
    """``nirc plot SOURCE -o PATH``: an .npz of results or a compile report .json."""
    if source.endswith(".json"):
        try:
            report = json.loads(Path(source).read_text())
        except FileNotFoundError:
            raise NircError("no such file", file=source) from None
        except (OSError, ValueError) as e:
            raise NircError(f"not a readable JSON report ({e})", file=source) from None
        try:
            plot_report(report, path, title=Path(source).name)
        except NircError as e:
            raise e.with_file(source) from None
        return
    from .input_arrays import load_array

    data = load_array(source)
    if not isinstance(data, dict):
        data = {Path(source).stem: data}
    try:
        plot_results(data, path, title=Path(source).name)
    except NircError as e:
        raise e.with_file(source) from None


def default_output(source: str) -> str:
    return str(Path(source).with_suffix(".png"))


def _save(fig, path: str) -> None:
    from .atomic import write_with

    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf"):
        raise NircError(f"unknown plot format '.{fmt}': use .png, .svg or .pdf", file=path)
    write_with(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=100))
