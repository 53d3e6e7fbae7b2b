"""A Speck network as nirc holds it: the cores' layers in step order, and their
round trip through the ``layers`` property of ``speck.network`` (dialects/speck.py).

A ``SpeckLayer`` is what one DYNAP-CNN core holds (sinabs 3.1.3 ``DynapcnnLayer``:
conv -> IAF -> per-destination sum pooling): a convolution ``weight`` (f, c, k, k) in
PyTorch's layout (out, in, y, x) with ``stride``/``padding`` as (y, x), a ``bias`` (f)
added every time bin, one ``threshold_high`` (spike) and ``threshold_low`` (lower bound
of v) for the layer, and its ``destinations``: (layer index, pooling) pairs, where index
-1 is the network's output (read by the monitor, not a destination slot of the core).
The input's destinations (``input_destinations``) are the layers the input events go to.
Values are floats after the mapping (mapping.py) and integers after the arithmetic
(arith.py); ``core`` is the chip core the layer is assigned to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

OUTPUT = -1


@dataclass
class SpeckLayer:
    name: str
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    weight: np.ndarray
    bias: np.ndarray
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    threshold_high: float = 1.0
    threshold_low: float = -1.0
    destinations: list[tuple[int, int]] = field(default_factory=list)
    core: int | None = None

    @property
    def kernel(self) -> int:
        return int(self.weight.shape[2])


@dataclass
class SpeckNetwork:
    input_shape: tuple[int, int, int]
    input_destinations: list[tuple[int, int]]
    layers: list[SpeckLayer]
    output_shape: tuple[int, ...]

    def sources(self, k: int) -> list[tuple[int, int]]:
        """(source layer index or -1 for the input, pooling) of the events into layer k."""
        out = [(-1, pool) for dest, pool in self.input_destinations if dest == k]
        for j, layer in enumerate(self.layers):
            out += [(j, pool) for dest, pool in layer.destinations if dest == k]
        return out

    def output_sources(self) -> list[tuple[int, int]]:
        return [(j, pool) for j, layer in enumerate(self.layers)
                for dest, pool in layer.destinations if dest == OUTPUT]


_INTS = ("in_shape", "out_shape", "stride", "padding")


def network_attr(net: SpeckNetwork):
    """The layers as an ArrayAttr of dictionaries (arrays as dense int64)."""
    from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, StringAttr, i64

    from nirc.dialects.arrays import to_dense

    def ints(values) -> object:
        return to_dense(np.ascontiguousarray(np.asarray(values, np.int64)))

    items = []
    for layer in net.layers:
        entry = {"name": StringAttr(layer.name), "core": IntegerAttr(int(layer.core), i64)}
        entry.update({f: ints(getattr(layer, f)) for f in _INTS})
        entry["weight"] = ints(layer.weight)
        entry["bias"] = ints(layer.bias)
        entry["threshold_high"] = IntegerAttr(int(layer.threshold_high), i64)
        entry["threshold_low"] = IntegerAttr(int(layer.threshold_low), i64)
        entry["destinations"] = ints(np.asarray(layer.destinations, np.int64).reshape(-1, 2))
        items.append(DictionaryAttr(entry))
    return ArrayAttr(items)


def network_from_attr(layers_attr, input_shape, input_destinations, output_shape) -> SpeckNetwork:
    from nirc.dialects.arrays import to_numpy

    layers = []
    for d in layers_attr.data:
        data = d.data

        def arr(name):
            return np.array(to_numpy(data[name]), np.int64)

        shapes = {f: tuple(int(x) for x in arr(f)) for f in _INTS}
        layers.append(SpeckLayer(
            name=data["name"].data, weight=arr("weight"), bias=arr("bias"),
            threshold_high=data["threshold_high"].value.data,
            threshold_low=data["threshold_low"].value.data,
            destinations=[(int(a), int(b)) for a, b in arr("destinations").reshape(-1, 2)],
            core=data["core"].value.data, **shapes))
    dests = [(int(a), int(b)) for a, b in np.asarray(input_destinations, np.int64).reshape(-1, 2)]
    return SpeckNetwork(tuple(int(x) for x in input_shape), dests, layers,
                        tuple(int(x) for x in output_shape))


def check(net: SpeckNetwork) -> None:
    """Structural consistency (ValueError): shapes, destinations forward only."""
    n = len(net.layers)
    for k, layer in enumerate(net.layers):
        f, c, kh, kw = layer.weight.shape
        if kh != kw or c != layer.in_shape[0] or f != layer.out_shape[0]:
            raise ValueError(f"layer {k} '{layer.name}': weight {layer.weight.shape} does not "
                             f"match input {layer.in_shape} / output {layer.out_shape}")
        if layer.bias.shape != (f,):
            raise ValueError(f"layer {k} '{layer.name}': bias shape {layer.bias.shape}")
        for dest, pool in layer.destinations:
            if dest != OUTPUT and not k < dest < n or pool < 1:
                raise ValueError(f"layer {k} '{layer.name}': destination {dest} (pooling {pool})")
    for dest, pool in net.input_destinations:
        if not 0 <= dest < n or pool < 1:
            raise ValueError(f"input destination {dest} (pooling {pool})")
    if not net.output_sources():
        raise ValueError("no layer sends to the output")
