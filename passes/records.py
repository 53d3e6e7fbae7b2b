"""Small result records that passes attach to ops and modules (``quant`` on a layer,
``nirc.partition`` and ``nirc.quantize`` on a module): plain str/int/float values as
a dictionary attribute, and back."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, StringAttr, f64, i64


def record_attr(values: dict) -> DictionaryAttr:
    """str -> string, bool/int -> i64, anything else -> f64."""
    out = {}
    for key, value in values.items():
        if isinstance(value, str):
            out[key] = StringAttr(value)
        elif isinstance(value, bool | int | np.integer):
            out[key] = IntegerAttr(int(value), i64)
        else:
            out[key] = FloatAttr(float(value), f64)
    return DictionaryAttr(out)


def record_values(attr: DictionaryAttr) -> dict:
    """The Python values of a record made by ``record_attr``."""
    return {k: v.data if isinstance(v, StringAttr) else v.value.data for k, v in attr.data.items()}
