"""SynSense's ``xylosim`` (v2) as an oracle for targets/xylo/sim.py (tests, benchmark).

xylosim is a test dependency: it is imported when these functions run, not with this
module.  ``XyloLayer`` keeps raw pointers to the ``XyloSynapse`` objects it is given, so
the lists returned beside the layer must stay alive as long as the layer (else
``evolve`` reads freed memory and the process crashes).
"""

from __future__ import annotations

import numpy as np

from .config import XyloConfig


def to_xylosim(config: XyloConfig):
    """``(layer, keep_alive)``: the ``xylosim.v2.XyloLayer`` of ``config`` and the
    synapse lists it points into.  Only nonzero weights become synapses (a zero weight
    adds 0: no effect); each readout neuron has one synapse."""
    from xylosim.v2 import XyloLayer, XyloSynapse

    config.check()
    n_in, n_hid, n_out = config.sizes
    s = config.synapses

    def synapses(weights):  # (pre, post, syn) -> per pre: [XyloSynapse(post, syn, w)]
        return [[XyloSynapse(int(post), int(syn), int(row[post, syn]))
                 for post, syn in zip(*np.nonzero(row))] for row in weights]

    syn_in = synapses(config.weights_in)
    syn_rec = synapses(config.weights_rec)
    syn_out = synapses(config.weights_out[:, :, None])
    ints = lambda a: [int(x) for x in a]  # noqa: E731
    dash_syns = [ints(d) for d in np.stack([config.dash_syn, config.dash_syn_2][:s], axis=1)]
    layer = XyloLayer(
        synapses_in=syn_in, synapses_rec=syn_rec, synapses_out=syn_out,
        # an empty list would make evolve_neurons' aliases->at(n) throw
        aliases=[ints(a) for a in config.aliases] or [[] for _ in range(n_hid)],
        threshold=ints(config.threshold), threshold_out=ints(config.threshold_out),
        has_bias=True, bias=ints(config.bias_hidden), bias_out=ints(config.bias_out),
        weight_shift_inp=int(config.weight_shift_in), weight_shift_rec=int(config.weight_shift_rec),
        weight_shift_out=int(config.weight_shift_out),
        dash_mem=ints(config.dash_mem), dash_mem_out=ints(config.dash_mem_out),
        dash_syns=dash_syns, dash_syns_out=[[int(d)] for d in config.dash_syn_out], name="nirc")
    return layer, (syn_in, syn_rec, syn_out)


def run_xylosim(config: XyloConfig, raster: np.ndarray, layer=None) -> dict[str, np.ndarray]:
    """xylosim's outputs and recordings for ``raster`` (T, B, Nin), one ``evolve`` per
    sample after ``reset_all``, in ``simulate(record=True)``'s keys and (T, B, N) shapes.
    Counts above 255 (not a uint8, which xylosim's input is) are passed as 255: xylosim
    clips them to 15 anyway."""
    layer, keep = (layer, None) if layer is not None else to_xylosim(config)
    keys = ["spikes_out", "spikes_hidden", "v_mem", "i_syn", "v_mem_out", "i_syn_out"]
    if config.synapses == 2:
        keys.append("i_syn2")
    samples = {k: [] for k in keys}
    for b in range(raster.shape[1]):
        layer.reset_all()
        out = layer.evolve(np.minimum(raster[:, b], 255).tolist())
        got = {"spikes_out": out, "spikes_hidden": layer.rec_recurrent_spikes,
               "v_mem": _tn(layer.rec_v_mem), "i_syn": _tn(layer.rec_i_syn),
               "v_mem_out": _tn(layer.rec_v_mem_out), "i_syn_out": _tn(layer.rec_i_syn_out)}
        if config.synapses == 2:
            got["i_syn2"] = _tn(layer.rec_i_syn2)
        for k in keys:
            samples[k].append(np.array(got[k], np.int32).reshape(raster.shape[0], -1))
    del keep
    return {k: np.stack(v, axis=1) for k, v in samples.items()}


def _tn(recording) -> np.ndarray:
    """xylosim's (N, T) recording as (T, N)."""
    return np.array(recording, np.int32).reshape(len(recording), -1).T
