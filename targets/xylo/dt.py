"""``--dt auto`` for Xylo: the step that makes the time constants fit Xylo's decays,
among the steps at which the graph still behaves as at the step it was given.

Xylo decays by 1 - 2**-dash per step (4-bit dash), so a time constant tau is held
exactly only when the discretized decay d(dt, tau) (Euler: 1 - dt/tau; exact:
exp(-dt/tau)) equals 1 - 2**-dash for some dash.  The candidates are a log grid of
``points`` values in [dt_min, dt_max], every step that holds one of the graph's time
constants exactly (tau * 2**-dash for Euler, -tau * ln(1 - 2**-dash) for the exact
decay: so 1e-4 is found exactly when it is exact) and the given step.  They are ranked
by their worst relative time-constant error (arith.tau_error: tau = -dt / ln(decay))
over every tau_mem and tau_syn of the graph's neurons (ties: the mean error, then the
larger dt); synaptic currents need dash_syn >= 1 (arith.py), so a tau_syn is scored
with that dash; steps that make an Euler decay negative are skipped.

A NIR graph's gains depend on dt (v_gain = r*dt/tau: snnTorch's r = tau/dt makes the
gain 1 only at the dt it was trained at), so the smallest error is not enough: the
best-ranked candidates (up to ``checks``) are simulated in float on the same
generated spikes as the graph at the given step (``behave``), and the first whose
output agrees within ``BEHAVIOUR_FLOOR`` (targets/fidelity.py compare, and not silent
where the given step is not) is chosen.  If none does, the given step is (it behaves as
itself by definition), and the choice says so (``behaves`` False).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from nirc.diagnostics import NircError

from .arith import dash_of, tau_error

TAU_FIELDS = ("tau_mem", "tau_syn")
BEHAVIOUR_FLOOR = 0.9
DASHES = np.arange(0, 16)


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


def exact_steps(taus: np.ndarray, method: str) -> np.ndarray:
    """The steps at which a time constant's decay is exactly 1 - 2**-dash."""
    fraction = 2.0 ** -DASHES.astype(np.float64)
    if method == "euler":
        return (taus[:, None] * fraction[None, :]).ravel()
    with np.errstate(divide="ignore"):
        return (-taus[:, None] * np.log1p(-fraction[None, :])).ravel()


def ranked_steps(module: ModuleOp, dt_min: float, dt_max: float, method: str, points: int,
                 given: float | None = None) -> list[tuple[tuple, float]]:
    """[(key, dt)] best first; key = (worst error, mean error, -dt)."""
    if not 0 < dt_min <= dt_max:
        raise NircError(f"--dt auto needs 0 < dt-min <= dt-max, found {dt_min} and {dt_max}")
    taus = graph_taus(module)
    if not any(t.size for t in taus.values()):
        raise NircError("--dt auto: the graph has no time constants to fit (give --dt)")
    every = np.concatenate([t for t in taus.values() if t.size])
    candidates = np.concatenate([np.geomspace(dt_min, dt_max, points), exact_steps(every, method),
                                 [given] if given else []])
    candidates = np.unique(candidates[(candidates >= dt_min) & (candidates <= dt_max)
                                      & np.isfinite(candidates)])
    ranked = []
    for dt in candidates:
        errors = np.concatenate([tau_errors(taus["tau_mem"], float(dt), method),
                                 tau_errors(taus["tau_syn"], float(dt), method, min_dash=1)])
        if np.isfinite(errors.max()):
            ranked.append(((float(errors.max()), float(errors.mean()), -float(dt)), float(dt)))
    if not ranked:
        raise NircError(f"--dt auto: every dt in [{dt_min}, {dt_max}] is too large for the "
                        f"smallest time constant {every.min():g} s (Euler decays turn negative)")
    return sorted(ranked)


def choose_dt(module: ModuleOp, dt_min: float, dt_max: float, method: str = "euler",
              points: int = 2001, given: float | None = None, behave=None,
              checks: int = 8) -> dict:
    """The chosen step: ``{"dt", "worst_tau_error"}``, and with ``behave(dt) ->
    agreement`` (None where both are silent) also ``agreement`` with the graph at the
    given step and whether it reached BEHAVIOUR_FLOOR (``behaves``)."""
    ranked = ranked_steps(module, dt_min, dt_max, method, points, given)
    if behave is None:
        key, dt = ranked[0]
        return {"dt": dt, "worst_tau_error": key[0]}
    for checked, (key, dt) in enumerate(ranked[:checks], 1):
        if given is not None and dt == given:
            return {"dt": dt, "worst_tau_error": key[0], "agreement": 1.0, "behaves": True,
                    "checked": checked}
        agreement = behave(dt)
        if agreement is not None and agreement >= BEHAVIOUR_FLOOR:
            return {"dt": dt, "worst_tau_error": key[0], "agreement": agreement, "behaves": True,
                    "checked": checked}
    key, dt = next(((k, d) for k, d in ranked if d == given), ranked[0])
    return {"dt": dt, "worst_tau_error": key[0], "agreement": 1.0 if dt == given else None,
            "behaves": False, "checked": min(checks, len(ranked))}
