"""numpy arrays <-> builtin dense elements attributes, bit for bit.

Every numeric NIR field is stored in the IR as a ``DenseIntOrFPElementsAttr`` whose
bytes are the numpy array's bytes (little-endian, C order) and whose element type
encodes the numpy dtype exactly, so that a round trip keeps both dtype and value:

    float16/32/64  <-> f16/f32/f64
    int8..int64    <-> i8..i64 (signless, read back as signed)
    uint8..uint64  <-> ui8..ui64
    bool           <-> i1 (one byte per element, 0 or 1)

A numpy scalar (what h5py returns for a 0-d dataset) is stored as a rank-0 tensor
and comes back as a numpy scalar of the same dtype.  Building from bytes (never from
Python lists) keeps 1M-weight graphs fast to build, print (hex) and parse.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    Signedness,
    TensorType,
)
from xdsl.ir import Attribute

_TO_ELEMENT: dict[np.dtype, Attribute] = {
    np.dtype(np.float16): Float16Type(),
    np.dtype(np.float32): Float32Type(),
    np.dtype(np.float64): Float64Type(),
    np.dtype(np.bool_): IntegerType(1),
    **{np.dtype(f"int{b}"): IntegerType(b) for b in (8, 16, 32, 64)},
    **{
        np.dtype(f"uint{b}"): IntegerType(b, Signedness.UNSIGNED)
        for b in (8, 16, 32, 64)
    },
}
_FROM_ELEMENT: dict[Attribute, np.dtype] = {v: k for k, v in _TO_ELEMENT.items()}
# signed integers (si32) read back as numpy signed integers too
_FROM_ELEMENT.update(
    {IntegerType(b, Signedness.SIGNED): np.dtype(f"int{b}") for b in (8, 16, 32, 64)}
)

SUPPORTED_DTYPES = tuple(str(d) for d in _TO_ELEMENT)


class UnsupportedDtype(TypeError):
    """A numpy dtype with no builtin element type (object, str, complex, ...)."""


def element_type(dtype: np.dtype) -> Attribute:
    """The MLIR element type that stores numpy ``dtype`` exactly."""
    try:
        return _TO_ELEMENT[np.dtype(dtype).newbyteorder("=")]
    except (KeyError, TypeError):
        raise UnsupportedDtype(
            f"dtype {np.dtype(dtype)} is not supported (supported: "
            f"{', '.join(SUPPORTED_DTYPES)})"
        ) from None


def numpy_dtype(element: Attribute) -> np.dtype:
    """The numpy dtype stored by an element type (inverse of ``element_type``)."""
    try:
        return _FROM_ELEMENT[element]
    except KeyError:
        raise UnsupportedDtype(f"element type {element} has no numpy dtype") from None


def to_dense(value: np.ndarray | np.generic | int | float | bool) -> DenseIntOrFPElementsAttr:
    """A dense attribute holding ``value`` with its dtype and shape (0-d for scalars).

    Python ``int``/``float``/``bool`` are stored as int64/float64/bool, which is what
    HDF5 (and so ``nir.read``) gives back for them.
    """
    array = np.asarray(value)
    elt = element_type(array.dtype)
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    data = np.ascontiguousarray(little).tobytes()
    return DenseIntOrFPElementsAttr(TensorType(elt, array.shape), BytesAttr(data))


def to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The value of ``attr`` as a read-only numpy array (a zero-copy view), shape kept."""
    dtype = numpy_dtype(attr.get_element_type()).newbyteorder("<")
    array = np.frombuffer(attr.data.data, dtype=dtype)
    return array.reshape(attr.get_shape())


def to_python_value(attr: DenseIntOrFPElementsAttr) -> np.ndarray | np.generic:
    """A writable copy: an ndarray, or a numpy scalar for rank 0 (as h5py returns)."""
    array = to_numpy(attr).astype(numpy_dtype(attr.get_element_type()), copy=True)
    return array[()] if array.ndim == 0 else array
