"""The generated-graph campaign: every graph x every target through the real CLI.

For each graph drawn by ``tests/strategies.py`` (every node kind and variant, nested
graphs, cycles; half of them forced to one ``FEATURES`` entry, round robin by
hypothesis; a third chip-shaped: ``chip_shaped``) and each target, in-process
through click:

1. ``nirc compile G.nir --target T -o DIR`` (small fidelity checks);
2. if it compiled: ``nirc run DIR/G.mlir --generate-input ... --record ...`` on the
   compiled module (the command must read nirc's own output), recording every node's
   output and every neuron state (interp, generic; on a chip target every layer's
   spikes and states its simulation records), then every value in the .npz must be
   finite.

Each (graph, target) gets one outcome:

- ``compiled``: compile and run succeeded, all recorded values finite;
- ``refused``: compile (or run) failed with one ``error: FILE: ...`` line, exit 1,
  nothing written: a clean refusal (most graphs for the chip targets);
- ``internal``: ``internal error``, a traceback, an uncaught exception or exit 2;
- ``partial``: a failed command left a file behind;
- ``nonfinite``: a recorded value is NaN/inf with no warning line on stderr;
- ``hang``: a command took longer than ``HANG_SECONDS`` (SIGALRM; a guard, not a
  measurement).

``NIRC_CAMPAIGN=N`` sets the number of graphs (tests/test_campaign.py; default 8),
``NIRC_CAMPAIGN_SEED`` another draw, ``NIRC_CAMPAIGN_LOG`` a progress file.
"""

from __future__ import annotations

import signal
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nir
import numpy as np
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from nirc.cli import main

from strategies import all_features, graphs

TARGETS = {
    "interp": "interp",
    "generic": "generic{fidelity-steps=16 fidelity-batch=2}",
    "xylo": "xylo{fidelity-steps=16 fidelity-batch=2}",
    "loihi2": "loihi2{fidelity-steps=16 fidelity-batch=2}",
    "speck": "speck{fidelity-steps=16 fidelity-batch=2}",
    "spinnaker2": "spinnaker2{fidelity-steps=16 fidelity-batch=2}",
}
OUTCOMES = ("compiled", "refused", "internal", "partial", "nonfinite", "hang")
HANG_SECONDS = 300  # a guard against hangs; a loaded 2-core machine took 120+ s once
STATEFUL = {"leaky": ("v",), "cuba": ("v", "i"), "qneuron": ("v",)}


class Hang(BaseException):
    """Raised by SIGALRM; a BaseException, so that nirc's error handler lets it through."""


@dataclass
class Tally:
    counts: dict[str, Counter] = field(default_factory=lambda: {t: Counter() for t in TARGETS})
    graphs: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (graph, target, what)

    def bad(self) -> int:
        return sum(c[o] for c in self.counts.values() for o in OUTCOMES[2:])

    def table(self) -> str:
        lines = [f"{self.graphs} graphs", f"{'target':<11}" + "".join(f"{o:>10}" for o in OUTCOMES)]
        for target, c in self.counts.items():
            lines.append(f"{target:<11}" + "".join(f"{c[o]:>10}" for o in OUTCOMES))
        return "\n".join(lines)


@st.composite
def chip_shaped(draw) -> nir.NIRGraph:
    """Input -> Linear/Affine -> neurons [+ recurrent Linear] -> Linear -> neurons ->
    Output, the shape Xylo, Loihi 2 and SpiNNaker2 map, with random sizes, time
    constants and weights (so that the chip targets compile some graphs), or Speck's
    shape: tests/speck_graphs.py ``random_chain``."""
    seed = draw(st.integers(0, 2**32 - 1))
    if draw(st.integers(0, 3)) == 0:
        from speck_graphs import random_chain

        return random_chain(seed % 1000)[0]
    rng = np.random.default_rng(seed)
    n_in, n_hid, n_out = (int(rng.integers(1, 9)), int(rng.integers(1, 17)),
                          int(rng.integers(1, 5)))

    def neuron(n: int, readout: bool):
        tau = 10.0 ** rng.uniform(-4, -1, (2, n))
        kind = rng.choice(["LI", "LIF", "CubaLIF"] if readout else ["LIF", "CubaLIF", "IF"])
        common = dict(r=rng.uniform(0.5, 20, n), v_leak=np.zeros(n))
        spiking = dict(v_threshold=rng.uniform(0.1, 2, n), v_reset=np.zeros(n))
        if kind == "LI":
            return nir.LI(tau=tau[0], **common)
        if kind == "LIF":
            return nir.LIF(tau=tau[0], **common, **spiking)
        if kind == "IF":
            return nir.IF(r=common["r"], **spiking)
        return nir.CubaLIF(tau_syn=tau[0], tau_mem=tau[1], **common, **spiking,
                           w_in=np.ones(n))

    def synapse(n_o: int, n_i: int):
        w = rng.normal(0, 1, (n_o, n_i)).astype(np.float32)
        return nir.Affine(weight=w, bias=np.zeros(n_o, np.float32)) if rng.random() < 0.3 \
            else nir.Linear(weight=w)

    nodes = {"input": nir.Input(np.array([n_in])), "w0": synapse(n_hid, n_in),
             "hid": neuron(n_hid, False), "w1": synapse(n_out, n_hid),
             "out": neuron(n_out, True), "output": nir.Output(np.array([n_out]))}
    edges = [("input", "w0"), ("w0", "hid"), ("hid", "w1"), ("w1", "out"), ("out", "output")]
    if rng.random() < 0.5:
        nodes["w_rec"] = nir.Linear(weight=rng.normal(0, 0.5, (n_hid, n_hid)).astype(np.float32))
        edges += [("hid", "w_rec"), ("w_rec", "hid")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def campaign_graphs():
    """Free graphs, graphs forced to one feature (every node kind and variant), and
    chip-shaped graphs."""
    return st.one_of(graphs(), st.sampled_from(all_features()).flatmap(
        lambda feature: graphs(require=feature)), chip_shaped())


def _on_alarm(signum, frame):
    raise Hang()


def _invoke(args: list[str]):
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(HANG_SECONDS)
    try:
        return CliRunner().invoke(main, args, catch_exceptions=True)
    finally:
        signal.alarm(0)


def _failure(result, written: list[Path]) -> tuple[str, str]:
    """The outcome of a failed command (exit != 0)."""
    stderr = result.stderr
    if ("internal error" in stderr or "Traceback" in stderr or result.exit_code != 1
            or not isinstance(result.exception, SystemExit | type(None))):
        detail = stderr.strip() or repr(result.exception)
        return "internal", detail.splitlines()[-1][:300]
    if any(p.exists() for p in written):
        return "partial", f"left {[str(p) for p in written if p.exists()]}"
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    if len(errors) != 1 or any(not line.startswith(("error: ", "warning: ")) for line in lines):
        return "internal", f"not one clean error line: {stderr[:300]!r}"
    return "refused", errors[0][:300]


def _records(module_path: Path) -> list[str]:
    """Every node output and neuron state of a compiled module the interpreter plans."""
    from nirc.loading import load_module
    from nirc.targets.interp.plan import make_plan
    from nirc.targets.interp.whole import chip_node, engine_of

    plan = make_plan(load_module(str(module_path)))
    names = [n.name for n in plan.nodes if n.kind not in ("input", "output")]
    found = chip_node(plan)
    if found is not None:  # a chip network: every layer's spikes and states it records
        return list(engine_of(found[1].kind).recordable(found[1]))
    states = [f"{n.name}.{s}" for n in plan.nodes for s in STATEFUL.get(n.kind, ())]
    return names + states


def check_one(graph: nir.NIRGraph, target: str, directory: Path) -> tuple[str, str]:
    """(outcome, detail) of one graph on one target (see the module docstring)."""
    source = directory / "g.nir"
    if not source.exists():
        nir.write(source, graph)
    outdir = directory / f"out-{target}"
    try:
        result = _invoke(["compile", str(source), "--target", TARGETS[target], "-o", str(outdir)])
        if result.exit_code != 0:
            return _failure(result, [outdir])
        compiled = outdir / "g.mlir"
        npz = directory / f"run-{target}.npz"
        try:
            record = _records(compiled)
        except Exception as e:  # the compiled module must plan: anything else is a bug
            return "internal", f"planning the compiled module: {e.__class__.__name__}: {e}"
        args = ["run", str(compiled), "--generate-input", "rate=0.3,steps=12,batch=2",
                "-o", str(npz)]
        if record:
            args += ["--record", ",".join(record)]
        result = _invoke(args)
        if result.exit_code != 0:
            outcome, detail = _failure(result, [npz])
            return outcome, "run: " + detail
    except Hang:
        return "hang", f"over {HANG_SECONDS} s"
    with np.load(npz) as data:
        bad = [k for k in data.files if not np.isfinite(data[k]).all()]
    if bad and "warning: " not in result.stderr:
        return "nonfinite", f"non-finite values in {bad[:5]} with no warning"
    return "compiled", ""


def run_campaign(n_graphs: int, keep: Path | None = None, seed: int | None = None,
                 log: Path | None = None) -> Tally:
    """Draw ``n_graphs`` graphs (deterministically; ``seed``: another deterministic
    draw, for shards run in parallel) and check each on every target; ``keep``: copy
    the .nir of every graph with a problem there; ``log``: rewrite the counts there
    after every graph (a long run's progress)."""
    from hypothesis import seed as hypothesis_seed

    tally = Tally()

    @settings(max_examples=n_graphs, derandomize=seed is None, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(campaign_graphs())
    def one(graph: nir.NIRGraph) -> None:
        tally.graphs += 1
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            for target in TARGETS:
                outcome, detail = check_one(graph, target, directory)
                tally.counts[target][outcome] += 1
                if outcome in OUTCOMES[2:]:
                    name = f"graph{tally.graphs:04d}"
                    tally.problems.append((name, target, f"{outcome}: {detail}"))
                    if keep is not None:
                        keep.mkdir(parents=True, exist_ok=True)
                        (keep / f"{name}.nir").write_bytes((directory / "g.nir").read_bytes())
        if log is not None:
            log.write_text(tally.table() + "\n" + "\n".join(
                f"{g} {t}: {w}" for g, t, w in tally.problems) + "\n")

    if seed is not None:
        one = hypothesis_seed(seed)(one)
    one()
    return tally
