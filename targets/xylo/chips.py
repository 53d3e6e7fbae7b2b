"""The Xylo chips nirc compiles for, their limits as data.

Sources: ../shared/docs/targets.md (Xylo), rockpool 3.1.0
(rockpool/devices/xylo/syns61201/xylo_samna.py, syns63300/xylo_samna.py,
syns65302/xylo_samna.py: ``config_from_specification`` checks) and xylosim 0.1.3
(src/v2/cpp/XyloIAFNeuron.h: ``BITS_STATE 16``, ``BITS_WEIGHT 8``, ``MAX_NUM_INP_SPIKES
15``, ``MAX_NUM_SPIKES 31``, ``MAX_NUM_OUT_SPIKES 1``).

Every Xylo is one core holding three dense int8 matrices (input, recurrent, readout),
current-based integer LIF neurons with 16-bit saturating state, 4-bit decay shifts
("dashes"), 16-bit thresholds and biases, and a left shift per matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..resources import ResourceModel

DASH_MAX = 15
"""dashes are 4-bit (0..15)."""
WEIGHT_SHIFT_MAX = 8
"""largest per-matrix shift nirc uses: int8 << 8 still fits the 16-bit synaptic add
(xylosim converts ``weight << shift`` to int16; 127 << 9 would wrap)."""
STATE_BITS = 16
WEIGHT_BITS = 8
SPIKES_IN, SPIKES_HIDDEN, SPIKES_OUT = 15, 31, 1


@dataclass(frozen=True)
class XyloChip:
    name: str
    """the part number rockpool uses (syns61201, ...)."""
    title: str
    inputs: int
    hidden: int
    outputs: int
    synapses: int
    """input currents per hidden neuron (i_syn, i_syn2)."""
    input_hidden: int
    """hidden neurons (the first ones) that may take input weights."""
    readout_hidden: int
    """hidden neurons (the last ones) that may feed the readout."""
    bias: bool = True
    source: str = ""

    def resources(self) -> ResourceModel:
        return ResourceModel(
            name=f"xylo-{self.name}", cores=1, neurons_per_core=self.hidden + self.outputs,
            synapses_per_core=self.hidden * (self.inputs + self.hidden + self.outputs),
            weight_bits=WEIGHT_BITS, weight_shift_bits=4, state_bits=STATE_BITS,
            threshold_bits=16, bias_bits=16, decay_bits=4, rounding="floor",
            overflow="saturate", neuron_kinds=frozenset({"leaky", "cuba"}),
            synapse_kinds=frozenset({"dense"}), max_spikes_per_step=SPIKES_HIDDEN,
            multicast=True, source=self.source)


CHIPS = {
    "syns61201": XyloChip(
        "syns61201", "Xylo Audio 2", inputs=16, hidden=1000, outputs=8, synapses=2,
        input_hidden=1000, readout_hidden=1000,
        source="rockpool 3.1.0 devices/xylo/syns61201/xylo_samna.py; targets.md"),
    "syns63300": XyloChip(
        "syns63300", "Xylo IMU", inputs=16, hidden=496, outputs=16, synapses=1,
        input_hidden=128, readout_hidden=128,
        source="rockpool 3.1.0 devices/xylo/syns63300/xylo_samna.py; targets.md"),
    "syns65302": XyloChip(
        "syns65302", "Xylo Audio 3", inputs=16, hidden=992, outputs=32, synapses=2,
        input_hidden=992, readout_hidden=992,
        source="rockpool 3.1.0 devices/xylo/syns65302/xylo_samna.py; targets.md"),
}
DEFAULT_CHIP = "syns61201"
