"""``Network`` (network.py) <-> the ``populations`` and ``projections`` properties of
``spinnaker2.network`` (dialects/spinnaker2.py): one dictionary attribute per population
and per projection, arrays as dense attributes of their own dtype (int8 weights, float32
parameters, int64 shapes, delays and PE rows, float64 v_scale)."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, StringAttr, i64

from .chips import CONV_PARAMS
from .network import Network, Population, Projection

_POP_STRINGS = ("name", "model", "reset")
_PROJ_STRINGS = ("name", "pre", "post", "kind")


def _dense(value: np.ndarray):
    from nirc.dialects.arrays import to_dense

    return to_dense(np.asarray(value))  # (ascontiguousarray would make a 0-d array 1-d)


def populations_attr(net: Network) -> ArrayAttr:
    items = []
    for p in net.populations:
        entry = {k: StringAttr(getattr(p, k)) for k in _POP_STRINGS}
        entry["shape"] = _dense(np.asarray(p.shape, np.int64))
        entry["max_atoms"] = IntegerAttr(int(p.max_atoms), i64)
        entry["spiking"] = IntegerAttr(int(p.spiking), i64)
        entry.update({k: _dense(v) for k, v in p.params.items()})
        if p.v_scale is not None:
            entry["v_scale"] = _dense(np.asarray(p.v_scale, np.float64))
        if p.pes is not None:
            entry["pes"] = _dense(np.asarray(p.pes, np.int64).reshape(-1, 3))
        items.append(DictionaryAttr(entry))
    return ArrayAttr(items)


def projections_attr(net: Network) -> ArrayAttr:
    items = []
    for p in net.projections:
        entry = {k: StringAttr(getattr(p, k)) for k in _PROJ_STRINGS}
        entry["weight"] = _dense(p.weight)
        entry["delay"] = _dense(np.asarray(p.delay, np.int64))
        if p.geometry is not None:
            entry["geometry"] = _dense(np.array([p.geometry[k] for k in CONV_PARAMS], np.int64))
        items.append(DictionaryAttr(entry))
    return ArrayAttr(items)


def network_from_attrs(populations: ArrayAttr, projections: ArrayAttr, input_name: str,
                       output_name: str) -> Network:
    from nirc.dialects.arrays import to_numpy

    def array(d, key):
        return np.array(to_numpy(d[key])) if key in d else None

    pops = []
    fixed = {*_POP_STRINGS, "shape", "max_atoms", "spiking", "v_scale", "pes"}
    for attr in populations.data:
        d = attr.data
        params = {k: np.array(to_numpy(v)) for k, v in d.items() if k not in fixed}
        pops.append(Population(
            d["name"].data, d["model"].data, tuple(int(x) for x in array(d, "shape")), params,
            d["reset"].data, d["max_atoms"].value.data, array(d, "pes"), array(d, "v_scale"),
            bool(d["spiking"].value.data)))
    projs = []
    for attr in projections.data:
        d = attr.data
        geometry = array(d, "geometry")
        projs.append(Projection(
            *(d[k].data for k in _PROJ_STRINGS), array(d, "weight"), array(d, "delay"),
            None if geometry is None else dict(zip(CONV_PARAMS, (int(x) for x in geometry)))))
    return Network(pops, projs, input_name, output_name)
