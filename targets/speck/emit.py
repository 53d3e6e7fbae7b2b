"""The Speck configuration as JSON: per core, the fields of sinabs' config dict.

sinabs 3.1.3 ``backend/dynapcnn/chips/dynapcnn.py``
``DynapcnnConfigBuilder.get_dynapcnn_layer_config_dict`` builds, per DYNAP-CNN layer,
the values it then writes into samna's ``CNNLayerConfig`` (``write_dynapcnn_layer_config``):
``dimensions`` (``input_shape``: ``size`` {x, y}, ``feature_count``; ``output_shape``
likewise; ``padding`` {x, y}; ``stride`` {x, y}; ``kernel_size``), ``weights`` in samna's
layout (PyTorch's (f, c, y, x) with the last two axes swapped: (f, c, x, y)), ``biases``,
``leak_enable`` (any bias non-zero), ``return_to_zero`` (False: reset by subtraction),
``threshold_high``, ``threshold_low``, ``monitor_enable``, ``neurons_initial_value``
((f, x, y), zeros) and ``destinations`` (at most 2: {layer: core, enable, pooling}).
``make_config`` itself needs samna's objects, so nirc writes the dict:

    {"chip": "speck2f",
     "samna_configuration": "samna.speck2f.configuration.SpeckConfiguration",
     "dvs_layer": {"pass_sensor_events": false, "destinations": [{"layer": core, "enable": true}]},
     "cnn_layers": {"<core>": {... the fields above ...}},
     "nirc": {"input_shape": [c, h, w], "input_event_source": "...",
              "layers": [{"layer": name, "core": k, "scale": s, ...}], "output": ...}}

The input events go to the cores in ``dvs_layer.destinations`` (samna's ``Spike`` events
with ``layer`` = that core, as sinabs' ``ChipFactory.raster_to_events`` does); the
``monitor_enable`` cores are those the Output reads.  README.md ("Speck") shows how to
load it into samna's ``SpeckConfiguration``.
"""

from __future__ import annotations

import json

import numpy as np

from .chips import SpeckChip
from .network import OUTPUT, SpeckNetwork


def config_dict(net: SpeckNetwork, chip: SpeckChip, rows: list[dict], dt: float) -> dict:
    cores = {}
    core_of = [layer.core for layer in net.layers]
    for layer in net.layers:
        c, h, w = layer.in_shape
        f, oh, ow = layer.out_shape
        bias = np.asarray(layer.bias, np.int64)
        cores[str(layer.core)] = {
            "dimensions": {
                "input_shape": {"size": {"x": w, "y": h}, "feature_count": c},
                "output_shape": {"size": {"x": ow, "y": oh}, "feature_count": f},
                "padding": {"x": layer.padding[1], "y": layer.padding[0]},
                "stride": {"x": layer.stride[1], "y": layer.stride[0]},
                "kernel_size": layer.kernel,
            },
            "weights": np.swapaxes(np.asarray(layer.weight, np.int64), 2, 3).tolist(),
            "biases": bias.tolist(),
            "leak_enable": bool(bias.any()),
            "return_to_zero": False,
            "threshold_high": int(layer.threshold_high),
            "threshold_low": int(layer.threshold_low),
            "monitor_enable": any(d == OUTPUT for d, _ in layer.destinations),
            "neurons_initial_value": np.zeros((f, ow, oh), np.int64).tolist(),
            "destinations": [{"layer": core_of[d], "enable": True, "pooling": pool}
                             for d, pool in layer.destinations if d != OUTPUT],
        }
    return {
        "chip": chip.name,
        "samna_configuration": f"{chip.samna_module}.SpeckConfiguration",
        "dvs_layer": {"pass_sensor_events": False,
                      "destinations": [{"layer": core_of[d], "enable": True}
                                       for d, _ in net.input_destinations]},
        "cnn_layers": cores,
        "nirc": {
            "input_shape": list(net.input_shape),
            "input_event_source": chip.input_event,
            "dt": dt,
            "layers": [{"layer": layer.name, "core": layer.core,
                        "destinations": [[d if d == OUTPUT else core_of[d], p]
                                         for d, p in layer.destinations],
                        **{k: v for k, v in row.items() if k != "layer"}}
                       for layer, row in zip(net.layers, rows)],
            "output": {"shape": list(net.output_shape),
                       "from": [[core_of[k], pool] for k, pool in net.output_sources()]},
        },
    }


def config_json(net: SpeckNetwork, chip: SpeckChip, rows: list[dict], dt: float) -> bytes:
    return (json.dumps(config_dict(net, chip, rows, dt), separators=(",", ":")) + "\n").encode()
