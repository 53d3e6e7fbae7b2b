"""The Xylo configuration as JSON, in rockpool's ``config_from_specification`` names.

A user with rockpool (3.1) and a Xylo dev kit loads it with::

    import json, numpy as np
    from rockpool.devices.xylo.syns61201 import config_from_specification   # chip's module
    spec = json.load(open("out/graph.xylo.json"))
    arrays = {k: np.array(v) for k, v in spec.items() if k in ROCKPOOL_FIELDS}
    config, is_valid, message = config_from_specification(**arrays)

(README.md, "Xylo").  Integer arrays are nested lists (``weights_in`` and
``weights_rec`` are (pre, post) where one synapse is used, as rockpool accepts); ``dt`` is in seconds; the
``nirc`` entry (ignored by rockpool) says which chip, the output latency in steps,
the readout kind and, for a voltage readout, the float value of one LSB of v_mem_out.
"""

from __future__ import annotations

import json

from .chips import XyloChip
from .config import XyloConfig

ROCKPOOL_FIELDS = ("weights_in", "weights_rec", "weights_out", "dash_mem", "dash_mem_out",
                   "dash_syn", "dash_syn_2", "dash_syn_out", "threshold", "threshold_out",
                   "bias_hidden", "bias_out", "weight_shift_in", "weight_shift_rec",
                   "weight_shift_out", "aliases", "dt")


def config_json(config: XyloConfig, chip: XyloChip, extra: dict) -> bytes:
    spec = {}
    for name in ROCKPOOL_FIELDS:
        if name == "dash_syn_2" and chip.synapses < 2:
            continue  # syns63300's config_from_specification has no second synapse
        if name == "aliases":
            spec[name] = None  # nirc makes no aliases; rockpool wants None, not []
            continue
        value = getattr(config, name)
        if name in ("weights_in", "weights_rec") and config.synapses == 1:
            value = value[:, :, 0]  # (pre, post): rockpool adds the synapse axis itself
        spec[name] = value.tolist() if hasattr(value, "tolist") else value
    spec["nirc"] = {"chip": chip.name, "title": chip.title, **extra}
    return (json.dumps(spec, separators=(",", ":")) + "\n").encode()
