"""Field rules shared by several ``nir`` ops; each raises the op's one-line error."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr

from .nir_base import NodeOp, Shape


def require_int(op: NodeOp, field: str) -> None:
    """Integer dtype, or an empty array of any numeric dtype: ``nir`` itself builds
    the shape of a 0-d node as ``np.array(())``, which is float64 (the dtype is kept)."""
    values = op.array(field)
    if values is not None and values.dtype.kind not in "iu" and values.size:
        raise op.error(f"must hold integers, found dtype {values.dtype}", field)


def require_numeric(op: NodeOp, field: str) -> None:
    attr = op.field_attr(field)
    if attr is not None and not isinstance(attr, DenseIntOrFPElementsAttr):
        raise op.error("must be a numeric array", field)
    values = op.array(field)
    if values is not None and values.dtype.kind not in "iuf":
        raise op.error(f"must be numeric, found dtype {values.dtype}", field)


def require_positive(op: NodeOp, field: str, strict: bool = True) -> None:
    values = op.array(field)
    if values is None or values.size == 0:
        return
    low = values.min()
    if (low <= 0) if strict else (low < 0):
        rule = "> 0" if strict else ">= 0"
        raise op.error(f"must be {rule}, found {low:.6g}", field)


def broadcasts_to(shape: Shape, target: Shape) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def broadcast_shape(op: NodeOp, fields: tuple[str, ...]) -> Shape:
    shapes = [op.array(f).shape for f in fields]  # type: ignore[union-attr]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listing = ", ".join(f"{f}{list(s)}" for f, s in zip(fields, shapes))
        raise op.error(f"parameter arrays must have one shape, found {listing}") from None
