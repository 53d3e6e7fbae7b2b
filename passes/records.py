"""Small result records that passes attach to ops and modules (``quant`` on a layer,
``nirc.partition`` and ``nirc.quantize`` on a module): plain str/int/float values as
a dictionary attribute, and back; and what the chip lowerings begin and end with."""

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


def record_row(row: dict, skip: tuple[str, ...] = ("layer",)) -> DictionaryAttr:
    """A report row as a record: lists become "a,b" strings, infinite floats (e.g. the
    time-constant error of a neuron without leak) are left out, ``skip`` keys too."""
    out = {}
    for key, value in row.items():
        if key in skip or (isinstance(value, float) and not np.isfinite(value)):
            continue
        out[key] = ",".join(str(v) for v in value) if isinstance(value, list) else value
    return record_attr(out)


def lowering_start(module, chips: dict, chip_name: str, title: str):
    """(the chip, the discretization options the module records, its root graph) for a
    chip lowering, or the error: an unknown chip, a module not yet discretized."""
    from nirc.diagnostics import NircError
    from nirc.exporter import root_graph
    from nirc.passes.discretize import recorded_options

    chip = chips.get(chip_name)
    if chip is None:
        raise NircError(f"unknown {title} chip '{chip_name}' (chips: {', '.join(chips)})")
    options = recorded_options(module)
    if options is None:
        raise NircError("the network is not discretized: run 'discretize{reset=subtract}' first")
    return chip, options, root_graph(module)


def replace_graph_body(graph, new) -> None:
    """Make ``graph`` Input -> ``new`` -> Output: insert ``new`` (which reads the Input)
    before the Output, feed the Output from it, and erase every other op (a chip
    lowering's last step; the ops may use each other, so all are detached first)."""
    sink = next(o for o in graph.block.ops if o.name == "nir.output")
    graph.block.insert_op_before(new, sink)
    sink.operands = [new.results[0]]
    dead = [o for o in graph.block.ops if o is not new and o is not sink
            and o.name != "nir.input"]
    for op in dead:
        graph.block.detach_op(op)
    for op in dead:
        op.erase(safe_erase=False)


def record_values(attr: DictionaryAttr) -> dict:
    """The Python values of a record made by ``record_attr``."""
    return {k: v.data if isinstance(v, StringAttr) else v.value.data for k, v in attr.data.items()}
