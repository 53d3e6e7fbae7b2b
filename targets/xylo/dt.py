"""``--dt auto`` for Xylo: the step that makes the time constants fit Xylo's decays.

Xylo decays by 1 - 2**-dash per step (4-bit dash), so a time constant tau is held
exactly only when the discretized decay d(dt, tau) (Euler: 1 - dt/tau; exact:
exp(-dt/tau)) equals 1 - 2**-dash for some dash.  ``choose_dt`` scans dt on a log grid
of ``points`` values in [dt_min, dt_max] and returns the dt whose worst relative
time-constant error (arith.tau_error: tau = -dt / ln(decay)), over every tau_mem and
tau_syn of the graph's LIF/CubaLIF/LI/CubaLI neurons, is smallest (ties: the mean
error, then the larger dt).  Synaptic currents need dash_syn >= 1 (arith.py), so a
tau_syn is scored with that dash.  Steps that make an Euler decay negative are skipped.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from nirc.diagnostics import NircError

from .arith import dash_of, tau_error

TAU_FIELDS = ("tau_mem", "tau_syn")


def graph_taus(module: ModuleOp) -> dict[str, np.ndarray]:
    """The distinct time constants (s) of the module's continuous-time neurons, by field
    (tau_mem, tau_syn)."""
    taus: dict[str, list] = {field: [] for field in TAU_FIELDS}
    for op in module.walk():
        if op.name.startswith("nir.") and hasattr(op, "array"):
            for field in TAU_FIELDS:
                if field in getattr(op, "FIELDS", ()):
                    taus[field].append(np.asarray(op.array(field), np.float64).ravel())
    return {f: np.unique(np.concatenate(v)) if v else np.zeros(0) for f, v in taus.items()}


def tau_errors(taus: np.ndarray, dt: float, method: str, min_dash: int = 0) -> np.ndarray:
    decay = 1.0 - dt / taus if method == "euler" else np.exp(-dt / taus)
    if np.any(decay < 0):
        return np.full(taus.shape, np.inf)
    return np.abs(tau_error(decay, np.maximum(dash_of(decay), min_dash)))


def choose_dt(module: ModuleOp, dt_min: float, dt_max: float, method: str = "euler",
              points: int = 2001) -> tuple[float, float]:
    """(dt, worst relative time-constant error at that dt)."""
    if not 0 < dt_min <= dt_max:
        raise NircError(f"--dt auto needs 0 < dt-min <= dt-max, found {dt_min} and {dt_max}")
    taus = graph_taus(module)
    if not any(t.size for t in taus.values()):
        raise NircError("--dt auto: the graph has no time constants to fit (give --dt)")
    best = None
    for dt in np.geomspace(dt_min, dt_max, points):
        errors = np.concatenate([tau_errors(taus["tau_mem"], float(dt), method),
                                 tau_errors(taus["tau_syn"], float(dt), method, min_dash=1)])
        key = (float(errors.max()), float(errors.mean()), -float(dt))
        if best is None or key < best[0]:
            best = (key, float(dt))
    if not np.isfinite(best[0][0]):
        raise NircError(f"--dt auto: every dt in [{dt_min}, {dt_max}] is too large for the "
                        f"smallest time constant {min(t.min() for t in taus.values() if t.size):g} s "
                        "(Euler decays turn negative)")
    return best[1], best[0][0]
