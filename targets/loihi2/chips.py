"""Loihi 2's limits as data (one source of truth for legality, quantize, partition,
the emitter and the simulator).

Sources: ../shared/docs/targets.md (Loihi 2); lava-nc 0.10.0
src/lava/proc/lif/models.py (``AbstractPyLifModelFixed``: u, v 24-bit, du/dv 12-bit,
bias mantissa 13-bit with a 3-bit exponent, ``vth_shift = act_shift = 6``) and
lava-dl 0.6.0 src/lava/lib/dl/netx/hdf5.py (netx layer types, ``du = iDecay - 1``,
``bias_exp = 6``).  Memory per core is counted in synapse entries, as the resource
model does elsewhere: about 128 KB of synaptic memory at one byte per 8-bit weight.
"""

from __future__ import annotations

from ..resources import ResourceModel

CORES_PER_CHIP = 128
NEURONS_PER_CORE = 8192
SYNAPSES_PER_CORE = 128 * 1024
DECAY_BITS = 12           # iDecay, vDecay in 0..4096 (x / 4096 per step)
STATE_BITS = 24           # u, v
THRESHOLD_BITS = 17       # vThMant (unsigned), compared as v > vThMant << 6
BIAS_BITS = 13            # bias mantissa (signed), scaled << 6 by netx
WEIGHT_BITS = 8           # mantissa; mixed-sign weights are even values -256..254
WEIGHT_EXPONENT = (-8, 7)  # per-layer weight exponent range
MAX_DELAY = 62            # synaptic delay in steps
VTH_SHIFT = 6
ACT_SHIFT = 6


def loihi2_resources(chips: int = 1) -> ResourceModel:
    return ResourceModel(
        name="loihi2", cores=CORES_PER_CHIP, chips=chips, neurons_per_core=NEURONS_PER_CORE,
        synapses_per_core=SYNAPSES_PER_CORE, weight_bits=WEIGHT_BITS, weight_shift_bits=4,
        state_bits=STATE_BITS, threshold_bits=THRESHOLD_BITS, bias_bits=BIAS_BITS,
        decay_bits=DECAY_BITS, rounding="toward-zero", overflow="wrap",
        neuron_kinds=frozenset({"leaky", "cuba"}),
        synapse_kinds=frozenset({"dense", "conv", "pool"}), max_spikes_per_step=1,
        multicast=True,
        source="targets.md (Loihi 2); lava-nc 0.10.0 proc/lif/models.py; lava-dl 0.6.0 netx/hdf5.py")
