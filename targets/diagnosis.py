"""Why a chip disagrees with the graph: the main causes, from the fidelity numbers.

``diagnose`` reads a fidelity record (targets/fidelity.py) and the target's per-layer
rows, and returns ``causes`` (most important first, each with its numbers) and
``warnings`` (one line for the compile report when the chip would not behave like the
model: same decision below ``DECISION_FLOOR``, or either side silent).

Causes, in the order they are reported:
- silence: no output spike on either side (agreement undefined), or only on one side;
- the chip's spike rule, when the graph under the chip's conventions already differs
  from the model as trained (agreement of the two float readings below AGREEMENT_FLOOR):
  multi-spike bursts (a layer whose spikes come several per step, with the fraction of
  spikes beyond the first and the largest count), else the rules that differ;
- the chip's arithmetic, when the chip differs from the graph under its own rules:
  saturation of a chip state (``chip_states``, fraction of values at the limits), a
  time-constant error above TAU_ERROR, weight rounding below SQNR_FLOOR dB, else the
  integer rounding in general;
- dead outputs (spiking in the float graph, never on the chip);
- latency: the comparison window loses more than a quarter of the steps.
"""

from __future__ import annotations

DECISION_FLOOR = 0.9
AGREEMENT_FLOOR = 0.9
BURST_FRACTION = 0.02
TAU_ERROR = 0.10
SQNR_FLOOR = 25.0
SATURATION = 0.01


def diagnose(f: dict, rows: list[dict], latency: int, title: str) -> dict:
    causes: list[str] = []
    trained = f.get("trained")
    head = trained or f
    if head.get("mean") is None:
        causes.append("silent: neither the float graph nor the chip emits an output spike on "
                      "this input, so the agreement is undefined (raise the input rate, or check "
                      "the time step and thresholds)")
    elif head.get("spikes_float") == 0:
        causes.append("silent model: the float graph emits no output spike on this input")
    elif head.get("spikes_chip") == 0:
        causes.append(f"silent chip: {title} emits no output spike where the float graph emits "
                      f"{head['spikes_float']}")
    if trained and (trained["conventions"].get("mean") or 0.0) < AGREEMENT_FLOOR:
        causes.append(_rule_cause(f, trained, title))
    if f.get("mean") is not None and f["mean"] < AGREEMENT_FLOOR:
        causes.append(_arithmetic_cause(f, rows, title))
    dead = f.get("dead_outputs") or []
    if dead:
        shown = ", ".join(str(n) for n in dead[:8]) + (" ..." if len(dead) > 8 else "")
        causes.append(f"dead outputs: output neuron(s) {shown} spike in the float graph and "
                      f"never on {title}")
    if f.get("steps") and latency * 3 > f["steps"]:
        causes.append(f"latency: {title}'s output lags by {latency} steps, a large part of the "
                      f"{f['steps'] + latency}-step comparison")
    warnings = []
    decision = head.get("same_decision")
    if head.get("mean") is None or head.get("spikes_float") == 0 or head.get("spikes_chip") == 0 \
            or (decision is not None and decision < DECISION_FLOOR):
        against = "the model as trained" if trained else "the float graph"
        what = ("agreement undefined" if head.get("mean") is None
                else f"agreement {head['mean']:.3f}, same decision {decision:.0%}")
        warnings.append(f"fidelity: {title} does not behave like {against} ({what}); main cause: "
                        + (causes[0] if causes else "unknown"))
    return {"causes": causes, "warnings": warnings}


def _rule_cause(f: dict, trained: dict, title: str) -> str:
    agreement = trained["conventions"]["mean"]
    bursts = f.get("bursts") or {}
    if bursts:
        layer, stats = max(bursts.items(), key=lambda kv: kv[1]["extra"])
        if stats["extra"] > BURST_FRACTION and trained["options"].get("spikes", "multi") != "multi":
            return (f"multi-spike bursts: {title}'s neurons fire several spikes per step; in "
                    f"'{layer}' {stats['extra']:.0%} of the spikes are beyond the first of their "
                    f"step (up to {stats['max']} in one step) where the model emits one (the float "
                    f"graph with and without them agrees {_fmt(agreement)}): the hidden layer "
                    "exceeds its threshold by far; retrain or rescale its weights and thresholds")
    shown = ", ".join(f"{k}={v}" for k, v in trained["options"].items())
    return (f"spike rule: {title}'s neurons differ from the model's ({shown} in the model); "
            f"the float graph under both rules agrees {_fmt(agreement)}")


def _arithmetic_cause(f: dict, rows: list[dict], title: str) -> str:
    states = f.get("chip_states") or {}
    if states:
        state, fraction = max(states.items(), key=lambda kv: kv[1])
        if fraction > SATURATION:
            return (f"saturation: {fraction:.1%} of {title}'s {state} values sit at the limit of "
                    "their bits (scale the weights down or lower the thresholds)")
    taus = [(row.get(field), row.get("layer", "?"), field) for row in rows
            for field in ("tau_mem_error", "tau_syn_error") if row.get(field) is not None]
    if taus:
        error, layer, field = max(taus)
        if abs(error) > TAU_ERROR:
            return (f"time-constant error: '{layer}' {field.replace('_error', '')} is off by "
                    f"{abs(error):.0%} in {title}'s decays (try --dt auto or another dt)")
    sqnr = [(row["sqnr_db"], row.get("layer", "?")) for row in rows if row.get("sqnr_db") is not None]
    if sqnr:
        worst, layer = min(sqnr)
        if worst < SQNR_FLOOR:
            return f"weight rounding: '{layer}' keeps {worst:.1f} dB SQNR in {title}'s weight bits"
    return (f"integer arithmetic: {title} differs from the float graph under its own rules "
            f"(agreement {_fmt(f['mean'])}) with no single layer to blame (weights, thresholds "
            "and decays rounded together)")


def _fmt(value) -> str:
    return "undefined" if value is None else f"{value:.3f}"
