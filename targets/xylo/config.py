"""A Xylo network configuration: what the chip holds, in rockpool's field names.

The fields and shapes are those of rockpool 3.1's ``config_from_specification``
(rockpool/devices/xylo/syns61201/xylo_samna.py; syns63300 and syns65302 take the same
names without ``dash_syn_2``), so that the emitted JSON loads with
``config_from_specification(**spec)``.  Index conventions are rockpool's: weights are
(pre, post[, synapse]).

- ``weights_in``  int8 (Nin, Nhidden, S): input channel -> hidden neuron, synapse s
- ``weights_rec`` int8 (Nhidden, Nhidden, S): hidden -> hidden (feed-forward hidden layers
  are blocks of this matrix)
- ``weights_out`` int8 (Nhidden, Nout): hidden -> readout neuron
- ``weight_shift_in/rec/out``: each weight of that matrix is delivered as ``w << shift``
- ``dash_mem``, ``dash_syn``, ``dash_syn_2`` (Nhidden,), ``dash_mem_out``,
  ``dash_syn_out`` (Nout,): 4-bit decay shifts, x -= max(|x >> dash|, 1) toward 0
- ``threshold`` (Nhidden,), ``threshold_out`` (Nout,): 16-bit signed
- ``bias_hidden`` (Nhidden,), ``bias_out`` (Nout,): 16-bit signed, added to v each step
- ``aliases``: for each hidden neuron, the hidden neurons that also emit its spikes
- ``dt``: seconds per step (the chip's clock divider is set from it)

S is the number of synapses (input currents) per hidden neuron: 2 on Xylo Audio 2, 1
on Xylo IMU.  The step function is targets/xylo/sim.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HIDDEN_FIELDS = ("dash_mem", "dash_syn", "dash_syn_2", "threshold", "bias_hidden")
OUTPUT_FIELDS = ("dash_mem_out", "dash_syn_out", "threshold_out", "bias_out")
SHIFT_FIELDS = ("weight_shift_in", "weight_shift_rec", "weight_shift_out")


@dataclass
class XyloConfig:
    weights_in: np.ndarray
    weights_rec: np.ndarray
    weights_out: np.ndarray
    dash_mem: np.ndarray
    dash_syn: np.ndarray
    dash_syn_2: np.ndarray
    dash_mem_out: np.ndarray
    dash_syn_out: np.ndarray
    threshold: np.ndarray
    threshold_out: np.ndarray
    bias_hidden: np.ndarray
    bias_out: np.ndarray
    weight_shift_in: int = 0
    weight_shift_rec: int = 0
    weight_shift_out: int = 0
    aliases: list[list[int]] = field(default_factory=list)
    dt: float = 1e-3

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(Nin, Nhidden, Nout)."""
        return self.weights_in.shape[0], self.weights_rec.shape[0], self.weights_out.shape[1]

    @property
    def synapses(self) -> int:
        return self.weights_rec.shape[2]

    def check(self) -> None:
        """Shapes and ranges (raises ValueError naming the field)."""
        n_in, n_hid, n_out = self.sizes
        s = self.synapses
        expect = {"weights_in": (n_in, n_hid, s), "weights_rec": (n_hid, n_hid, s),
                  "weights_out": (n_hid, n_out)}
        expect.update({f: (n_hid,) for f in HIDDEN_FIELDS})
        expect.update({f: (n_out,) for f in OUTPUT_FIELDS})
        for name, shape in expect.items():
            value = getattr(self, name)
            if value.shape != shape:
                raise ValueError(f"{name}: shape {value.shape}, expected {shape}")
        for name in ("weights_in", "weights_rec", "weights_out"):
            _in_range(name, getattr(self, name), -128, 127)
        for name in ("dash_mem", "dash_syn", "dash_syn_2", "dash_mem_out", "dash_syn_out"):
            _in_range(name, getattr(self, name), 0, 15)
        for name in ("threshold", "threshold_out", "bias_hidden", "bias_out"):
            _in_range(name, getattr(self, name), -(2 ** 15), 2 ** 15 - 1)
        for name in SHIFT_FIELDS:
            _in_range(name, np.array([getattr(self, name)]), 0, 15)
        if self.aliases and len(self.aliases) != n_hid:
            raise ValueError(f"aliases: {len(self.aliases)} entries, expected {n_hid}")
        for source, targets in enumerate(self.aliases):
            for t in targets:
                if not 0 <= t < n_hid:
                    raise ValueError(f"aliases[{source}]: target {t} is not a hidden neuron")

    @classmethod
    def zeros(cls, n_in: int, n_hid: int, n_out: int, synapses: int = 1, **values) -> XyloConfig:
        """A configuration of the given sizes with zero weights, dashes 1, thresholds 1 and
        no bias, with some fields replaced by ``values``."""
        base = dict(
            weights_in=np.zeros((n_in, n_hid, synapses), np.int8),
            weights_rec=np.zeros((n_hid, n_hid, synapses), np.int8),
            weights_out=np.zeros((n_hid, n_out), np.int8),
            **{f: np.ones(n_hid, np.int64) for f in ("dash_mem", "dash_syn", "dash_syn_2", "threshold")},
            bias_hidden=np.zeros(n_hid, np.int64),
            **{f: np.ones(n_out, np.int64) for f in ("dash_mem_out", "dash_syn_out", "threshold_out")},
            bias_out=np.zeros(n_out, np.int64))
        base.update(values)
        return cls(**base)


def _in_range(name: str, value: np.ndarray, low: int, high: int) -> None:
    if value.size and (value.min() < low or value.max() > high):
        raise ValueError(f"{name}: values {value.min()}..{value.max()} outside {low}..{high}")
