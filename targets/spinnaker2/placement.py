"""The PE plan: how many neurons of each population a PE holds and which PEs they use.

py-spinnaker2 slices a population into parts of ``max_atoms_per_core`` neurons and gives
each part a PE of its own (one population per PE, as PACMAN does for SpiNNaker 1: an
assumption, the placer's code is not available here).  nirc's ``partition`` pass (the
solver of passes/partition_solver.py, with the SpiNNaker2 resource model: neurons per PE
and synapse words per PE) decides the slices; a population's ``max_atoms_per_core`` is
its largest slice there, which is what the emitted script sets.  PEs are then numbered
population by population, in the order of the solver's first core of each population
(so populations the solver keeps together get neighbouring PEs, on the same chip where
they fit), chip = PE // 152.

Synapse words per PE are recounted here from what the script writes: one word per
connection row into the PE's neurons and a Conv2DProjection's kernel once per PE.  The
partitioner counts the input width of the layer's own weights, which is more where
weights are zero and less where a pooling layer before them was folded into the rows
(each pooled input becomes k x k rows); where a slice of ``max_atoms_per_core`` would not
fit, the plan lowers ``max_atoms_per_core`` until every slice does.  The traffic
estimate counts, per source neuron spiking at ``rate`` per step, the PEs other than its
own that hold a neuron it connects to (one multicast packet per PE), as partition_solver
does.
"""

from __future__ import annotations

import numpy as np

from nirc.diagnostics import NircError

from .chips import PES_PER_CHIP
from .network import Network

RATE = 0.1
"""spikes per neuron and step assumed for the traffic estimate (partition's default)."""


def rows_into(net: Network, name: str) -> tuple[np.ndarray, int]:
    """(connection rows into each neuron of population ``name``, kernel words per PE)."""
    rows = np.zeros(net.population(name).size, np.int64)
    shared = 0
    for p in net.projections:
        if p.post != name:
            continue
        if p.kind == "list":
            rows += np.count_nonzero(p.weight, axis=1)
        else:
            shared += int(p.weight.size)
    return rows, shared


def fit_atoms(rows: np.ndarray, shared: int, limit: int, words: int) -> int:
    """The largest m <= limit whose slices [k m, (k + 1) m) all fit ``words`` (0: none)."""
    total = np.concatenate([[0], np.cumsum(rows)])
    for m in range(min(limit, len(rows)), 0, -1):
        ends = np.minimum(np.arange(0, len(rows), m) + m, len(rows))
        starts = np.arange(0, len(rows), m)
        if (total[ends] - total[starts]).max() + shared <= words:
            return m
    return 0


def plan_pes(net: Network, layers: list, model, chips: int) -> dict:
    """Set every population's ``max_atoms`` and ``pes`` and return the plan (a report
    section in the shape of ``partition.core_plan``, without its ``table``)."""
    solver = {layer.layer_name: layer.core_slices() for layer in layers}
    npe, words = model.neurons_per_core, model.synapses_per_core or np.iinfo(np.int64).max
    first_core, bound, used = {}, 0, {}
    for k, pop in enumerate(net.populations):
        rows, shared = rows_into(net, pop.name)
        slices = solver.get(pop.name) or []
        atoms = fit_atoms(rows, shared, max((b - a for a, b, _ in slices), default=npe), words)
        if atoms == 0:
            raise NircError(f"one neuron needs {int(rows.max(initial=0)) + shared} synapse words, "
                            f"a PE holds {words}", node=pop.name, field="synapses")
        pop.max_atoms = atoms
        first_core[pop.name] = (min((c for *_, c in slices), default=-1), k)
        bound += -(-pop.size // fit_atoms(rows, shared, npe, words))
        used[pop.name] = (np.concatenate([[0], np.cumsum(rows)]), shared)
    pe, cores = 0, []
    for pop in sorted(net.populations, key=lambda p: first_core[p.name]):
        starts = np.arange(0, pop.size, pop.max_atoms)
        stops = np.minimum(starts + pop.max_atoms, pop.size)
        pop.pes = np.stack([starts, stops, pe + np.arange(len(starts))], axis=1).astype(np.int64)
        total, shared = used[pop.name]
        for a, b, p in pop.pes.tolist():
            syn = int(total[b] - total[a]) + shared
            cores.append({"core": p, "chip": p // PES_PER_CHIP, "neurons": b - a, "synapses": syn,
                          "slices": [{"layer": pop.name, "start": a, "stop": b}]})
        pe += len(starts)
    total_pes = PES_PER_CHIP * chips
    if pe > total_pes:
        counts = ", ".join(f"'{p.name}' {len(p.pes)}" for p in net.populations)
        biggest = max(net.populations, key=lambda p: len(p.pes))
        raise NircError(f"needs {pe} PEs ({counts}; max_atoms_per_core "
                        f"{', '.join(str(p.max_atoms) for p in net.populations)}), SpiNNaker2 has "
                        f"{PES_PER_CHIP} PEs per chip x {chips} chip(s) = {total_pes}",
                        node=biggest.name, field="pes")
    limits = {"neurons_per_core": npe, "synapses_per_core": model.synapses_per_core or 0}
    return {"target": "spinnaker2", "cores_used": pe, "lower_bound_cores": bound,
            "traffic": traffic(net), "chips_used": -(-pe // PES_PER_CHIP),
            "pes_per_chip": PES_PER_CHIP, "chips": chips,
            "max_atoms": {p.name: p.max_atoms for p in net.populations}, **limits,
            "cores": cores, "unplaced": []}


def traffic(net: Network, rate: float = RATE) -> float:
    """Estimated spikes per step that leave their PE (one per destination PE)."""
    pe_of = {}
    for p in net.populations:
        rows = np.asarray(p.pes)
        pe_of[p.name] = np.repeat(rows[:, 2], rows[:, 1] - rows[:, 0])
    total = 0.0
    for pre in net.populations:
        outgoing = [q for q in net.projections if q.pre == pre.name]
        if not outgoing:
            continue
        reach = []
        for q in outgoing:
            post = net.population(q.post)
            pes = np.asarray(post.pes)
            if q.kind == "list":
                hit = np.stack([np.any(q.weight[a:b] != 0, axis=0) for a, b, _ in pes.tolist()], 1)
            else:
                hit = np.ones((pre.size, len(pes)), bool)
            reach.append((pes[:, 2], hit))
        dest = np.concatenate([ids for ids, _ in reach])
        hits = np.concatenate([h for _, h in reach], axis=1)
        for k, pe in enumerate(np.unique(dest)):
            cols = hits[:, dest == pe].any(axis=1)
            total += float(np.count_nonzero(cols & (pe_of[pre.name] != pe)))
    return rate * total


def table(plan: dict) -> str:
    """One line per PE: its chip, neurons and synapse words (with % of the limits)."""
    rows, limits = plan["cores"], plan

    def use(n: int, limit: int) -> str:
        return f"{n} ({100 * n / limit:.0f}%)" if limit else str(n)

    lines = [f"{'PE':>5} {'chip':>4} {'neurons':>11} {'synapse words':>15}  population[slice]"]
    for r in rows:
        s = r["slices"][0]
        lines.append(f"{r['core']:>5} {r['chip']:>4} {use(r['neurons'], limits['neurons_per_core']):>11} "
                     f"{use(r['synapses'], limits['synapses_per_core']):>15}  "
                     f"{s['layer']}[{s['start']}:{s['stop']}]")
    return "\n".join(lines) + "\n"
