"""``NetxNetwork`` <-> the ``layers`` property of ``loihi2.network`` (dialects/loihi2.py):
one dictionary attribute per netx block, arrays as dense int64 attributes."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, StringAttr, i64

ARRAYS = ("shape", "weight", "weight_rec", "bias", "delay", "stride", "padding", "dilation")
NEURON = {"i_decay": "i_decay", "v_decay": "v_decay", "v_th_mant": "v_th_mant"}


def network_attr(network, names: list[str], cores: list | None = None) -> ArrayAttr:
    from nirc.dialects.arrays import to_dense

    items = []
    for k, (layer, name) in enumerate(zip(network.layers, names)):
        entry = {"name": StringAttr(name), "type": StringAttr(layer.type)}
        for field in ARRAYS:
            value = getattr(layer, field)
            if value is not None:
                entry[field] = to_dense(np.ascontiguousarray(np.asarray(value, np.int64)))
        if layer.type == "conv":
            entry["groups"] = IntegerAttr(int(layer.groups), i64)
        if layer.neuron is not None:
            for key, field in NEURON.items():
                entry[key] = IntegerAttr(int(getattr(layer.neuron, field)), i64)
        if cores is not None and cores[k] is not None:
            entry["cores"] = to_dense(np.ascontiguousarray(np.asarray(cores[k], np.int64).reshape(-1, 3)))
        items.append(DictionaryAttr(entry))
    return ArrayAttr(items)


def network_from_attr(attr: ArrayAttr):
    from nirc.dialects.arrays import to_numpy

    from .netx import NetxLayer, NetxNetwork, NetxNeuron

    layers = []
    for d in attr.data:
        data = d.data
        arrays = {f: np.array(to_numpy(data[f])) for f in ARRAYS if f in data}
        shape = tuple(int(x) for x in arrays.pop("shape"))
        geometry = {f: tuple(int(x) for x in arrays.pop(f)) for f in ("stride", "padding", "dilation")
                    if f in arrays}
        neuron = None
        if "v_th_mant" in data:
            neuron = NetxNeuron(**{field: data[key].value.data for key, field in NEURON.items()})
        groups = data["groups"].value.data if "groups" in data else 1
        layers.append(NetxLayer(type=data["type"].data, shape=shape, **arrays, **geometry,
                                groups=groups, neuron=neuron))
    return NetxNetwork(layers=layers)


def cores_of(attr: ArrayAttr) -> dict[str, np.ndarray]:
    from nirc.dialects.arrays import to_numpy

    return {d.data["name"].data: np.array(to_numpy(d.data["cores"])) for d in attr.data
            if "cores" in d.data}
