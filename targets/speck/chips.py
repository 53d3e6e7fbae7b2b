"""Speck's limits as data: the one source of truth that the mapping, the core
assignment, the arithmetic, the emitter and the simulator read.

Speck (SynSense, the DYNAP-CNN architecture) has 9 convolutional cores ("layers" in
sinabs and samna).  Each core holds one convolution, an integrate-and-fire neuron array
and up to 2 destinations, each with optional sum pooling.  Sources (sinabs 3.1.3):

- memories per core: ``sinabs/backend/dynapcnn/chips/dynapcnn.py``
  ``DynapcnnConfigBuilder.get_constraints`` (kernel, neuron, bias memory in entries);
- memory formulas: ``dynapcnn_layer.py`` ``DynapcnnLayer.memory_summary``::

      kernel = c_in * 2 ** (ceil(log2(k_x * k_y)) + ceil(log2(c_out)))
      neuron = c_out * 2 ** (ceil(log2(H_out)) + ceil(log2(W_out)))
      bias   = c_out

  and ``mapping.py`` ``LayerConstraints.fits`` (all three within the core's);
- kernel <= 16 x 16, <= 1024 output features, stride 1/2/4/8:
  ``sinabs/validate_memory_speck.py``; square kernels and pooling:
  ``dynapcnn_layer.py`` ``DynapcnnLayer.__init__``; pooling kernel = stride:
  ``dynapcnn_layer_utils.py`` ``extract_pooling_from_module``; pooling 1, 2, 4:
  ``docs/speck/faqs/available_algorithmic_operation.md``; 2 destinations per core:
  ``docs/speck/faqs/available_network_arch.md``; padding 0..7, input maps <= 128 x 128,
  neuron maps <= 64 x 64: ``docs/speck/overview.md`` (DYNAP-CNN Layer, Feature);
- widths: weights and biases 8 bits, neuron state and thresholds 16 bits:
  ``discretize.py`` (``DYNAPCNN_WEIGHT_PRECISION_BITS = 8``,
  ``DYNAPCNN_STATE_PRECISION_BITS = 16``);
- neurons: IAF only (``DynapcnnLayer`` takes ``IAFSqueeze`` only): no leak time
  constant; a bias is a constant input added every time bin (sinabs' model).

Chips: ``speck2e`` and ``speck2f`` (``chip_factory.py``: ``speck2e``/``speck2edevkit``
use ``Speck2EConfigBuilder``, ``speck2fmodule``/``speck2fdevkit``
``Speck2FConfigBuilder``).  Both builders inherit ``get_constraints`` from
``DynapcnnConfigBuilder`` unchanged, so their cores are the same; they differ in the samna
module that holds the configuration (``samna.speck2e.configuration.SpeckConfiguration``
vs ``samna.speck2f.configuration.SpeckConfiguration``) and in the event types of the
input and output buffers (``BasicSourceNode_speck2e_event_speck2e_input_event`` vs
``BasicSourceNode_speck2f_event_input_event``), recorded here for the emitter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..resources import ResourceModel

KI = 1024


@dataclass(frozen=True)
class SpeckChip:
    name: str
    samna_module: str
    """the samna module of the chip's configuration classes"""
    input_event: str
    """samna's source-node class for input events"""
    kernel_memory: tuple[int, ...] = (16 * KI, 16 * KI, 16 * KI, 32 * KI, 32 * KI,
                                      64 * KI, 64 * KI, 16 * KI, 16 * KI)
    neuron_memory: tuple[int, ...] = (64 * KI, 64 * KI, 64 * KI, 32 * KI, 32 * KI,
                                      16 * KI, 16 * KI, 16 * KI, 16 * KI)
    bias_memory: tuple[int, ...] = (KI,) * 9
    destinations: int = 2
    max_kernel: int = 16
    strides: tuple[int, ...] = (1, 2, 4, 8)
    poolings: tuple[int, ...] = (1, 2, 4)
    max_padding: int = 7
    max_features: int = 1024
    max_input_size: int = 128
    max_neuron_size: int = 64
    weight_bits: int = 8
    bias_bits: int = 8
    state_bits: int = 16
    threshold_bits: int = 16

    @property
    def cores(self) -> int:
        return len(self.kernel_memory)

    def memories(self, core: int) -> dict[str, int]:
        return {"kernel": self.kernel_memory[core], "neuron": self.neuron_memory[core],
                "bias": self.bias_memory[core]}

    @property
    def state_min(self) -> int:
        return -(2 ** (self.state_bits - 1))


CHIPS = {
    "speck2e": SpeckChip("speck2e", "samna.speck2e.configuration",
                         "samna.BasicSourceNode_speck2e_event_speck2e_input_event"),
    "speck2f": SpeckChip("speck2f", "samna.speck2f.configuration",
                         "samna.BasicSourceNode_speck2f_event_input_event"),
}


def _pow2_bits(n: int) -> int:
    return math.ceil(math.log2(n)) if n > 1 else 0


def layer_memory(c_in: int, kernel: int, c_out: int, h_out: int, w_out: int) -> dict[str, int]:
    """Entries a layer takes in each memory (sinabs' ``memory_summary``; a bias is
    counted whether or not it is zero, as sinabs does for a conv with a bias)."""
    return {
        "kernel": c_in * 2 ** (_pow2_bits(kernel * kernel) + _pow2_bits(c_out)),
        "neuron": c_out * 2 ** (_pow2_bits(h_out) + _pow2_bits(w_out)),
        "bias": c_out,
    }


def speck_resources(chip: SpeckChip) -> ResourceModel:
    """The generic view of the chip (neurons per core: the largest neuron memory)."""
    return ResourceModel(
        name=chip.name, cores=chip.cores, neurons_per_core=max(chip.neuron_memory),
        synapses_per_core=max(chip.kernel_memory), destinations_per_core=chip.destinations,
        weight_bits=chip.weight_bits, state_bits=chip.state_bits,
        threshold_bits=chip.threshold_bits, bias_bits=chip.bias_bits,
        neuron_kinds=frozenset({"leaky"}), synapse_kinds=frozenset({"conv", "pool"}),
        max_spikes_per_step=2 ** 15, multicast=True,
        source="sinabs 3.1.3 backend/dynapcnn (chips/dynapcnn.py, dynapcnn_layer.py, "
               "discretize.py), validate_memory_speck.py, docs/speck")
