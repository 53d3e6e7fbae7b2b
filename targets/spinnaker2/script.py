"""The SpiNNaker2 emitter: ``<stem>.s2.py``, ``<stem>.s2.npz`` and ``<stem>.s2.json``.

``<stem>.s2.py`` is a standalone Python program a SpiNNaker2 user runs: it builds the
network with py-spinnaker2's API (``from spinnaker2 import hardware, snn``;
``snn.Population``, ``set_max_atoms_per_core``, ``snn.Projection`` with connection lists
[pre, post, weight, delay], ``snn.Conv2DProjection``, ``snn.Network().add(...)``), runs
it on ``hardware.SpiNNaker2Chip(eth_ip=...)`` or, with ``--brian2``, on
``brian2_sim.Brian2Backend()`` (the calls of the NIR paper's scripts,
neuromorphs/NIR paper/01_lif/lif_spinnaker2.py, 02_cnn/s2_apply.ipynb,
03_rnn/s2_apply.py), one sample of an input .npy at a time (``net.reset()`` between
them, as 03_rnn/s2_apply.py does), and saves the output population's spikes (or
voltages, in the graph's units) to an .npz keyed by the graph's Output node, in
``nirc run``'s layout (T, B, n).  Each sample runs T + 1 steps and the first recorded
step is dropped, as the NIR paper's scripts align SpiNNaker2's recordings (sim.py).
Weights (connection lists as int32 rows, conv kernels as int8) and parameters that differ
between neurons are in ``<stem>.s2.npz`` beside the script, never literals; uniform
parameters are written as numbers (the shortest text that gives the same float32).
``<stem>.s2.json`` describes the same network as data (npz keys for the arrays).
"""

from __future__ import annotations

import io
import json
import keyword
import re

import numpy as np

from .chips import CONV_PARAMS, INPUT_MODEL, MODELS, PES_PER_CHIP
from .network import Network, Population

HEADER = '''#!/usr/bin/env python3
"""{stem} on SpiNNaker2: the network that nirc {version} compiled from the graph {source}
(dt = {dt} s, method {method}, reset {reset}, conn_delay {conn_delay}), built with
py-spinnaker2's API.

    python {stem}.s2.py INPUT.npy [--brian2 | --eth-ip {eth_ip}] [-o OUT.npz]

INPUT.npy holds input spikes of 0/1, (T, {n_in}) or (T, B, {n_in}): one row per time
step.  Each sample runs T + 1 steps; SpiNNaker2 records one step late, so the first
recorded step is dropped (as the NIR paper's scripts do).  OUT.npz gets "{output_node}":
{saved}, (T, B, {n_out}).  Weights and per-neuron parameters are in {stem}.s2.npz beside
this file; {stem}.s2.json describes the same network as data.
"""

import argparse
from pathlib import Path

import numpy as np
from spinnaker2 import hardware, snn

DATA = Path(__file__).with_name("{stem}.s2.npz")
STEPS_OFFSET = 1  # SpiNNaker2's step k holds the graph's step k - 1


def build_network(data):
    """The populations and projections; returns (network, input, output population)."""
'''

MAIN = '''

def spike_times(sample):
    """{{neuron: [steps]}} of a (T, n) array of 0/1: a spike_list population's params."""
    return {{i: np.flatnonzero(sample[:, i]).tolist() for i in range(sample.shape[1])}}


def main():
    parser = argparse.ArgumentParser(description="Run {stem} on SpiNNaker2.")
    parser.add_argument("input", help="input spikes, .npy of shape (T, {n_in}) or (T, B, {n_in})")
    parser.add_argument("--brian2", action="store_true",
                        help="run on py-spinnaker2's Brian2 simulator instead of the chip")
    parser.add_argument("--eth-ip", default="{eth_ip}", help="the SpiNNaker2 board's IP address")
    parser.add_argument("-o", "--output", default="{stem}.s2.out.npz", help="the .npz to write")
    args = parser.parse_args()
    x = np.load(args.input)
    if x.ndim == 2:
        x = x[:, None]
    if x.ndim != 3 or x.shape[2] != {n_in} or not np.isin(x, (0, 1)).all():
        raise SystemExit(f"{{args.input}}: expected 0/1 spikes of shape (T, [B,] {n_in}), "
                         f"found {{x.shape}}")
    steps, batch = x.shape[:2]
    data = np.load(DATA)
    net, source, out = build_network(data)
    result = np.zeros((steps, batch, {n_out}), np.float32)
    for b in range(batch):
        source.params = spike_times(x[:, b])
        net.reset()  # clear the previous sample's spikes and voltages
        if args.brian2:
            from spinnaker2 import brian2_sim

            hw = brian2_sim.Brian2Backend()
        else:
            hw = hardware.SpiNNaker2Chip(eth_ip=args.eth_ip)
        hw.run(net, steps + STEPS_OFFSET)
{collect}
        del hw
    np.savez(args.output, **{{"{output_node}": result}})
    print(f"{{args.output}}: {output_node} {{list(result.shape)}}, {summary}")


if __name__ == "__main__":
    main()
'''

COLLECT_SPIKES = '''        for neuron, times in out.get_spikes().items():
            for t in times:
                if STEPS_OFFSET <= t < steps + STEPS_OFFSET:
                    result[t - STEPS_OFFSET, b, neuron] = 1'''

COLLECT_VOLTAGES = '''        v_scale = data["{key}"]  # graph volts per unit of the chip's v
        for neuron, v in out.get_voltages().items():
            v = np.asarray(v, np.float64)[STEPS_OFFSET:steps + STEPS_OFFSET]
            result[:len(v), b, neuron] = v * v_scale[neuron]'''


def emit_files(net: Network, stem: str, info: dict) -> dict[str, bytes]:
    """``info``: source, version, dt, method, reset, conn_delay, latency, readout,
    output_node (the graph's Output name), eth_ip."""
    arrays: dict[str, np.ndarray] = {}
    names = _identifiers(net)
    sink = net.population(net.output)
    body, described = [], {"populations": [], "projections": []}
    for pop in net.populations:
        lines, entry = _population(pop, names[pop.name], arrays, pop.name == net.output, info)
        body += lines
        described["populations"].append(entry)
    for proj in net.projections:
        lines, entry = _projection(proj, names, arrays)
        body += lines
        described["projections"].append(entry)
    members = ", ".join(names[p.name] for p in net.populations)
    members += "".join(", " + names[("proj", p.name)] for p in net.projections)
    body += ["", f"    net = snn.Network({stem!r})", f"    net.add({members})",
             f"    return net, {names[net.input]}, {names[net.output]}"]
    voltage = info["readout"] == "voltage"
    if voltage:
        arrays[f"{sink.name}:v_scale"] = np.asarray(sink.v_scale, np.float64)
    fields = {**info, "stem": stem, "n_in": net.population(net.input).size,
              "n_out": sink.size,
              "summary": "max |v| {float(np.abs(result).max()):.4g}" if voltage
              else "{int(result.sum())} spikes",
              "saved": "the output population's membrane potential in the graph's units"
              if voltage else "the output population's spikes"}
    collect = COLLECT_VOLTAGES.format(key=f"{sink.name}:v_scale") if voltage else COLLECT_SPIKES
    script = HEADER.format(**fields) + "\n".join(body) + "\n" + MAIN.format(**fields,
                                                                            collect=collect)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    doc = {"format": "nirc spinnaker2 network 1", "weights": f"{stem}.s2.npz",
           **{k: info[k] for k in ("source", "version", "dt", "method", "reset", "conn_delay",
                                   "latency", "readout", "output_node")},
           "input": net.input, "output": net.output, **described}
    return {f"{stem}.s2.py": script.encode(), f"{stem}.s2.npz": buffer.getvalue(),
            f"{stem}.s2.json": (json.dumps(doc, indent=1) + "\n").encode()}


def _identifiers(net: Network) -> dict:
    """Python names for the populations (``pop_<name>``) and projections (``proj_``)."""
    out, used = {}, set()
    for key, prefix, name in ([(p.name, "pop_", p.name) for p in net.populations]
                              + [(("proj", p.name), "proj_", p.name) for p in net.projections]):
        base = prefix + re.sub(r"\W", "_", name, flags=re.ASCII)
        ident, k = base, 1
        while ident in used or keyword.iskeyword(ident):
            ident, k = f"{base}_{k}", k + 1
        used.add(ident)
        out[key] = ident
    return out


def number(value) -> str:
    """The shortest decimal text that converts back to the same float32."""
    v = np.float32(value)
    if v == 0 or 1e-4 <= abs(v) < 1e7:
        return np.format_float_positional(v, trim="-")
    return np.format_float_scientific(v, trim="-")


def _population(pop: Population, ident: str, arrays: dict, output: bool, info: dict):
    if pop.model == INPUT_MODEL:
        lines = ["", f"    {ident} = snn.Population(size={pop.size}, neuron_model={INPUT_MODEL!r}, "
                     f"params={{}}, name={pop.name!r})"]
        entry = {"name": pop.name, "size": pop.size, "shape": list(pop.shape),
                 "neuron_model": pop.model, "params": {}}
        return lines, {**entry, **_pe_entry(pop)}
    params, described = [], {}
    for key in (k for k in MODELS[pop.model] if k != "reset"):
        value = pop.params[key]
        if np.all(value == value[0]):
            text = str(int(value[0])) if value.dtype.kind == "i" else number(value[0])
            described[key] = int(value[0]) if value.dtype.kind == "i" else float(value[0])
        else:
            arrays[f"{pop.name}:{key}"] = value
            text = f"data[{pop.name + ':' + key!r}].tolist()"
            described[key] = {"npz": f"{pop.name}:{key}"}
        params.append(f"            {key!r}: {text},")
    params.append(f"            'reset': {pop.reset!r},")
    described["reset"] = pop.reset
    record = (["spikes"] if pop.spiking else ["v"]) if output else []
    pes = np.asarray(pop.pes)
    where = (f"PEs {pes[0, 2]}..{pes[-1, 2]} on chip(s) "
             f"{', '.join(str(c) for c in sorted(set((pes[:, 2] // PES_PER_CHIP).tolist())))}")
    lines = ["", f"    {ident} = snn.Population(",
             f"        size={pop.size}, neuron_model={pop.model!r}, name={pop.name!r},",
             "        params={", *params, "        },",
             f"        record={record!r})",
             f"    {ident}.set_max_atoms_per_core({pop.max_atoms})  # nirc's plan: {where}"]
    entry = {"name": pop.name, "size": pop.size, "shape": list(pop.shape),
             "neuron_model": pop.model, "params": described, "record": record}
    return lines, {**entry, **_pe_entry(pop)}


def _pe_entry(pop: Population) -> dict:
    rows = np.asarray(pop.pes).tolist()
    return {"max_atoms_per_core": pop.max_atoms,
            "pes": [[a, b, pe, pe // PES_PER_CHIP] for a, b, pe in rows]}


def _projection(proj, names: dict, arrays: dict):
    ident, pre, post = names[("proj", proj.name)], names[proj.pre], names[proj.post]
    entry = {"name": proj.name, "pre": proj.pre, "post": proj.post}
    if proj.kind == "list":
        key = f"{proj.name}:connections"
        arrays[key] = rows = proj.connections()
        line = (f"    {ident} = snn.Projection(pre={pre}, post={post}, "
                f"connections=data[{key!r}].tolist())  # {len(rows)} x [pre, post, weight, delay]")
        return ["", line], {**entry, "type": "Projection",
                            "connections": {"npz": key, "rows": int(len(rows))}}
    key = f"{proj.name}:weights"
    arrays[key] = proj.weight
    geometry = ", ".join(f"{k!r}: {proj.geometry[k]}" for k in CONV_PARAMS)
    lines = ["", f"    {ident} = snn.Conv2DProjection(",
             f"        {pre}, {post}, data[{key!r}],  # int8 (C_in, C_out, kH, kW)",
             f"        params={{{geometry}}})"]
    return lines, {**entry, "type": "Conv2DProjection",
                   "weights": {"npz": key, "shape": list(proj.weight.shape)},
                   "params": dict(proj.geometry)}
