"""Run a lava-dl netx HDF5 network in Lava's bit-accurate CPU model (the Loihi 2 oracle).

    VENV/bin/python run_lava.py NET.h5 INPUT.npy OUT.npz [--steps T] [--input-message-bits B]
                                [--no-states] [--num-layers N]
    VENV/bin/python run_lava.py --jobs JOBS.json

``--jobs`` runs a JSON list of such runs (dicts with keys net, input, out, and optionally
steps, input_message_bits, no_states, num_layers) in one process: Lava is imported once
(~3 s) and each further network runs in well under a second
(targets/loihi2/oracle/lava_oracle.py uses it).

VENV is the oracle venv made by build_env.sh (lava-nc 0.10.0, lava-dl 0.6.0).  nirc never
imports this file; it only exchanges files with it.

What runs: ``lava.lib.dl.netx.hdf5.Network(NET.h5)`` driven by a ``lava.proc.io.source.RingBuffer``
that plays INPUT.npy, for T steps (default: the number of rows of INPUT.npy; shorter input is
padded with zeros), with ``Loihi2SimCfg(select_tag="fixed_pt")`` and ``RunSteps(T)``: every block
uses its fixed-point process model (``PyDenseModelBitAcc`` / ``PyDelayDenseModelBitAcc`` and
``PyLifModelBitAcc``; see README.md for their arithmetic).

Input: INPUT.npy has shape (T, n_in), time first, 0/1 spikes or graded integers.  Lava's
RingBuffer wants time *last*, (n_in, T) (for a conv input: (W, H, C, T), and a row of
INPUT.npy is then flattened in the HDF5's stored (C, H, W) order), so it is transposed here.
Where it goes depends on layer 0 of the file:
  * ``input`` layer without a ``neuron`` group (or none): the raster goes to ``Network.inp``,
    i.e. straight into the first dense/conv layer's synapses.  Graded values need
    ``--input-message-bits B`` > 0 (chosen automatically, 24, when the input is not 0/1);
    with 0 the synapse casts its input to bool (any nonzero value is a 1-spike).
  * ``input`` layer *with* a ``neuron`` group: netx builds an ``Input`` block (a LIF layer
    with no synapse) whose ``inp`` port is connected to nothing (feeding ``Network.inp`` then
    fails to compile); the raster is therefore fed, as lava-dl's own tests do, into that LIF's
    ``a_in`` (a current of value << 6 per step, in the same step).
    The layer's ``weight``/``bias`` (netx's "transform") are NOT applied by Lava.

Timing (1-based Lava time step t; row t-1 of the arrays): the source sends input row t-1 at
step t.  Every dense/conv synapse outputs at step t the accumulation of the spikes it received
at step t-1 (plus ``delay`` extra steps when the layer has a ``delay`` dataset), and a neuron
layer's spikes at step t are those of its own update at step t.  So input row k can first
move the j-th dense/conv layer (j = 1, 2, ...) at row k+j: an L-layer network's output lags its
input by at least L rows.  An Input LIF block (if any) sees input row k in row k itself.

OUT.npz keys (all int arrays, time first, one row per step):
  out         (T, n_out)  spikes of the last layer (== s<last>)
  input       (T, n_in)   the raster that was fed
  s<i>        (T, n_i)    spikes of block i of ``Network.layers`` (i = 0, 1, ...)
  u<i>, v<i>  (T, n_i)    that block's neuron current and voltage *after* step t's update
                          (and after the spike reset of v); raw 24-bit Lava units, i.e.
                          2**6 times the HDF5 scale.  Only for blocks whose neuron has u and v
                          (CUBA/LIF); omitted with --no-states.
  layer_h5_index (n_blocks,)  the HDF5 layer index ("layer/<k>") of each block
  layer_type     (n_blocks,)  block class names (Input, Dense, Conv, ...)
"""

from __future__ import annotations

import argparse
import sys

import h5py
import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("net", nargs="?"), ap.add_argument("input", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--steps", type=int, default=None, help="steps to run (default: rows of INPUT)")
    ap.add_argument("--input-message-bits", type=int, default=None,
                    help="bits of graded input spikes (default 0 for 0/1 input, else 24)")
    ap.add_argument("--no-states", action="store_true", help="do not record u and v")
    ap.add_argument("--num-layers", type=int, default=None,
                    help="build only the first N HDF5 layers (netx's num_layers)")
    ap.add_argument("--jobs", help="JSON list of jobs to run in this one process (instead of "
                    "NET INPUT OUT): each a dict with keys net, input, out and optionally "
                    "steps, input_message_bits, no_states, num_layers")
    a = ap.parse_args(argv)
    if a.jobs:
        return run_jobs(a.jobs)
    if not (a.net and a.input and a.out):
        ap.error("NET, INPUT and OUT are required (or --jobs)")
    try:
        return run(a.net, a.input, a.out, steps=a.steps, input_message_bits=a.input_message_bits,
                   no_states=a.no_states, num_layers=a.num_layers)
    except ValueError as e:
        sys.exit(str(e))


def run_jobs(path: str) -> int:
    """Run every job of the JSON list ``path`` in this process (Lava is imported once, and
    after the first run each network takes well under a second instead of ~4 s).  A job
    that fails writes its traceback to ``<out>.err`` and the others still run; the exit
    status is 1 if any failed."""
    import json
    import traceback

    with open(path) as f:
        jobs = json.load(f)
    failed = 0
    for job in jobs:
        try:
            run(job["net"], job["input"], job["out"], steps=job.get("steps"),
                input_message_bits=job.get("input_message_bits"),
                no_states=bool(job.get("no_states", False)), num_layers=job.get("num_layers"))
        except Exception:  # noqa: BLE001 - reported per job
            failed += 1
            with open(job["out"] + ".err", "w") as f:
                f.write(traceback.format_exc())
            print(f"run_lava.py: job {job['out']} failed", file=sys.stderr)
    return 1 if failed else 0


def run(net: str, inp: str, out: str, steps: int | None = None,
        input_message_bits: int | None = None, no_states: bool = False,
        num_layers: int | None = None) -> int:
    """Run one network on one raster (the CLI's NET INPUT OUT); see the module docstring."""
    from lava.lib.dl.netx.hdf5 import Network
    from lava.lib.dl.netx.blocks.process import Input
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.magma.core.run_conditions import RunSteps
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source
    from lava.proc.monitor.process import Monitor

    x = np.load(inp)
    if x.ndim != 2:
        raise ValueError(f"run_lava.py: {inp}: expected shape (T, n_in), got {x.shape}")
    if not np.array_equal(x, np.round(x)):
        raise ValueError(f"run_lava.py: {inp}: input must be integer valued")
    x = x.astype(np.int64)
    steps = x.shape[0] if steps is None else steps
    x = np.concatenate([x, np.zeros((max(0, steps - x.shape[0]), x.shape[1]), x.dtype)])[:steps]
    graded = bool(((x != 0) & (x != 1)).any())
    bits = input_message_bits if input_message_bits is not None else (24 if graded else 0)

    network = Network(net_config=net, input_message_bits=bits, num_layers=num_layers)
    blocks = list(network.layers)
    with h5py.File(net, "r") as f:  # which HDF5 layers became blocks (as in Network._create)
        kinds = {k: np.ravel(f[f"layer/{k}/type"][()])[0] for k in range(len(f["layer"]))}
        kinds = {k: t.decode() if isinstance(t, bytes) else str(t) for k, t in kinds.items()}
        h5_index = [k for k, t in kinds.items()
                    if t != "flatten" and (t != "input" or "neuron" in f[f"layer/{k}"])]

    target = blocks[0].neuron.a_in if isinstance(blocks[0], Input) else network.inp
    shape = tuple(target.shape)
    if int(np.prod(shape)) != x.shape[1]:
        raise ValueError(f"run_lava.py: input has {x.shape[1]} channels, network expects {shape}")
    # (T, n) -> (T, C, H, W) stored order -> (W, H, C, T) = Lava's (x, y, z) with time last
    data = x.reshape((steps,) + shape[::-1]).transpose(tuple(range(len(shape), 0, -1)) + (0,))
    source = Source(data=data)
    source.s_out.connect(target)

    sinks = []
    for b in blocks:
        sink = Sink(shape=b.out.shape, buffer=steps)
        b.out.connect(sink.a_in)
        sinks.append(sink)
    monitors = {}
    if not no_states:
        for i, b in enumerate(blocks):
            for name in ("u", "v"):
                var = getattr(b.neuron, name, None)
                if var is not None:
                    m = Monitor()
                    m.probe(var, steps)
                    monitors[f"{name}{i}"] = (m, var)

    try:
        network.run(condition=RunSteps(num_steps=steps), run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))
        res = {}
        for i, sink in enumerate(sinks):  # sink data: (*shape, T) -> (T, n) in stored order
            d = sink.data.get()
            res[f"s{i}"] = d.transpose((d.ndim - 1,) + tuple(range(d.ndim - 2, -1, -1))) \
                .reshape(steps, -1).astype(np.int64)
        for key, (m, var) in monitors.items():
            d = np.asarray(m.get_data()[var.process.name][var.name])  # (T, *shape)
            res[key] = d.transpose((0,) + tuple(range(d.ndim - 1, 0, -1))) \
                .reshape(steps, -1).astype(np.int64)
    finally:
        network.stop()

    res["out"] = res[f"s{len(blocks) - 1}"]
    res["input"] = x
    res["layer_h5_index"] = np.array(h5_index[:len(blocks)])
    res["layer_type"] = np.array([type(b).__name__ for b in blocks])
    np.savez(out, **res)
    print(f"run_lava.py: {len(blocks)} blocks, {steps} steps, {int(res['out'].sum())} output spikes"
          f" -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
