"""A chip's limits as data: the one source of truth that legality checks, the
quantizer, the partitioner, the emitters and the reports all read.

Units: neurons and synapses are counts; memories are counted in *entries* of the
chip's own memories (a synapse entry holds one weight, a neuron entry one neuron's
state), not in bytes, because that is how the vendors state them
(../shared/docs/targets.md).  ``None`` means "no limit of this kind on this chip".
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class ResourceModel:
    """What one chip holds.  Every limit is per core unless its name says otherwise."""

    name: str
    cores: int
    """cores (neuro-cores, processing elements) per chip; the partitioner's bins."""
    neurons_per_core: int
    synapses_per_core: int | None = None
    """weight entries a core's synapse/kernel memory holds (dense: out * in)."""
    fan_in: int | None = None
    """incoming synapses one neuron may have."""
    destinations_per_core: int | None = None
    """distinct cores one core may send spikes to (Speck: 2)."""
    chips: int = 1
    """chips that may be chained (cores * chips in all)."""
    weight_bits: int = 8
    """bits of a stored weight (signed mantissa, before any per-matrix shift/exponent)."""
    weight_shift_bits: int = 0
    """bits of the per-matrix left shift (exponent) applied to weights; 0: no shift."""
    state_bits: int = 16
    """bits of the membrane potential v and synaptic current i (saturating)."""
    threshold_bits: int = 16
    bias_bits: int = 16
    decay_bits: int = 12
    """fraction bits of a decay factor d: v <- (v * d) >> decay_bits (2**decay_bits = 1)."""
    rounding: str = "floor"
    """how ``>> decay_bits`` rounds: "floor" (arithmetic shift) or "toward-zero"
    (sign-magnitude, Loihi)."""
    overflow: str = "saturate"
    """what the state does beyond state_bits: "saturate" or "wrap"."""
    neuron_kinds: frozenset[str] = frozenset({"leaky", "cuba"})
    """neuron kinds of the interpreter's plan the chip implements (leaky: LI/LIF/I/IF,
    cuba: CubaLI/CubaLIF)."""
    synapse_kinds: frozenset[str] = frozenset({"dense", "conv", "pool"})
    max_spikes_per_step: int = 1
    """spikes a neuron may emit in one step (multi-spike caps, e.g. Xylo hidden: 31)."""
    multicast: bool = True
    """one spike reaches every destination core (count distinct cores, not synapses)."""
    source: str = ""
    """where these numbers come from (vendor package and module, or "options")."""

    @property
    def total_cores(self) -> int:
        return self.cores * self.chips

    def with_options(self, **options) -> ResourceModel:
        """A copy with some limits replaced (kebab- or snake-case names)."""
        known = {f.name for f in fields(self)}
        changes = {key.replace("-", "_"): value for key, value in options.items()}
        for name in changes:
            if name not in known:
                raise KeyError(name)
        return replace(self, **changes)
