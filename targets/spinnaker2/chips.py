"""SpiNNaker2's limits and py-spinnaker2's vocabulary, as data: the one source of truth
for the mapping, the scaling, the placement, the emitter and the simulator.

Sources: ../shared/docs/targets.md (SpiNNaker2: 152 ARM Cortex-M4F PEs per chip with
128 KB SRAM each, ``max_atoms_per_core``, neuron models and parameter names, s2_nir's
rules); the NIR paper's scripts (neuromorphs/NIR ``paper/01_lif/lif_spinnaker2.py``,
``paper/02_cnn/s2_apply.ipynb``, ``paper/03_rnn/s2_apply.py``: the API calls, atoms per
core of 10 to 256); and a py-spinnaker2 user's example
(ngr-francesco/dynamic-neural-field-spinnaker2 ``dynamic_neural_field.py``: the ``lif``
parameter set with ``v_init``, and "delay: integer in range [0, 7]").

Synapse memory (an assumption; py-spinnaker2's memory map is not in the sources here):
nirc counts one 32-bit word per synapse, SpiNNaker's static synaptic word (weight | delay
| synapse type | neuron index; sPyNNaker neuron/synapse_row.h): one per connection row
into the PE's neurons, and a ``Conv2DProjection``'s kernel once per PE, one word per
weight (placement.py; the partitioner counts the layer's input width, placement.py
recounts).  Of a PE's 128 KB, nirc
reserves 32 KB for the program, neuron state, row headers, routing tables and recording
buffers, which leaves ``SYNAPSE_KB = 96`` KB = 24576 words for synapses (option
``synapse-kb``).  The NIR paper's CNN run used fewer atoms per core than this budget
allows (16 neurons of fan-in 128 per PE), presumably for compute time per tick, which
this model does not count.
"""

from __future__ import annotations

from ..resources import ResourceModel

PES_PER_CHIP = 152
SRAM_KB_PER_PE = 128
SYNAPSE_KB = 96
"""KB of a PE's SRAM nirc assumes free for synapse words (see the module docstring)."""
WORD_BYTES = 4
NEURONS_PER_PE = 250
"""default ``max_atoms_per_core``: the NIR paper's and py-spinnaker2's examples use 10..256."""
WEIGHT_MAX = 127
"""int8 weights of the ``*_no_delay`` and ``lif_conv2d`` models (s2_nir scales to +-127)."""
MAX_DELAY = 7
"""largest delay of a connection row (3 bits: the example's "delay: integer in [0, 7]")."""
CONN_DELAYS = (0, 1)
"""values of s2_nir's ``conn_delay`` that nirc supports (s2_nir's default is 1; every
published NIR run on SpiNNaker2 used 0)."""
NO_SPIKE_THRESHOLD = 1.0e30
"""threshold of a non-spiking readout population (LI, CubaLI): out of reach of any v."""

INPUT_MODEL = "spike_list"
LIF = "lif_no_delay"
LIF_CONV = "lif_conv2d"
CUBA = "lif_curr_exp_no_delay"
LIF_PARAMS = ("threshold", "alpha_decay", "i_offset", "v_reset", "v_init", "reset")
CUBA_PARAMS = (*LIF_PARAMS, "exc_decay", "inh_decay", "t_refrac")
MODELS: dict[str, tuple[str, ...]] = {LIF: LIF_PARAMS, LIF_CONV: LIF_PARAMS, CUBA: CUBA_PARAMS}
"""The neuron models nirc emits and the parameters it gives them (targets.md's list:
threshold, alpha_decay, i_offset, v_reset, reset, exc_decay, inh_decay, t_refrac; v_init
from the ``lif`` example)."""
RESETS = {"value": "reset_to_v_reset", "subtract": "reset_by_subtraction"}
"""nirc's discretize reset -> py-spinnaker2's ``reset`` parameter."""
CONV_PARAMS = ("in_height", "in_width", "stride_x", "stride_y", "pool_x", "pool_y",
               "pad_top", "pad_bottom", "pad_left", "pad_right")
"""``Conv2DProjection`` geometry (targets.md, from s2_nir)."""


def synapse_words(synapse_kb: int) -> int:
    return synapse_kb * 1024 // WORD_BYTES


def spinnaker2_resources(chips: int = 1, neurons_per_pe: int = NEURONS_PER_PE,
                         synapse_kb: int = SYNAPSE_KB) -> ResourceModel:
    return ResourceModel(
        name="spinnaker2", cores=PES_PER_CHIP, chips=chips, neurons_per_core=neurons_per_pe,
        synapses_per_core=synapse_words(synapse_kb), weight_bits=8, weight_shift_bits=0,
        state_bits=32, threshold_bits=32, bias_bits=32, decay_bits=24, rounding="floor",
        overflow="saturate", neuron_kinds=frozenset({"leaky", "cuba"}),
        synapse_kinds=frozenset({"dense", "conv", "pool"}), max_spikes_per_step=1,
        multicast=True,
        source="targets.md (SpiNNaker2); NIR paper scripts (neuromorphs/NIR paper/); "
               "synapse words: sPyNNaker synapse_row.h (assumed)")
