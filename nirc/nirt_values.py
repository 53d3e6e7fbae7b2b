"""Numbers and arrays in .nirt text: formatting and parsing, shared by printer and parser.

Rules (docs/nirt.md has the reference):

- dtypes are written ``f16 f32 f64 i8 i16 i32 i64 u8 u16 u32 u64 bool``; an array is
  ``<dtype>[<shape>] <data>`` (``f32[2,3]``, ``i64[0]``, ``f64[]`` for 0-d), a numpy
  scalar ``<dtype> <literal>`` (``i64 3``);
- array data is one of: nested rows ``[[1.0, 2.5], [0.0, -1.0]]`` (a single literal for
  0-d); ``fill <literal>`` (every element equal, bit for bit); ``@"<key>"`` (an array
  of the side file ``<stem>.npz``); ``base64 "<little-endian bytes>"``; or, for reading
  only, a digest ``<sha256:... min=... max=... mean=...>`` that does not parse back;
- floats are written as the shortest decimal that parses back to the same value in
  their own dtype (``0.1`` in f32 is the f32 nearest 0.1), ``-0.0``, ``inf``, ``-inf``,
  ``nan`` (the dtype's default quiet NaN), other NaNs as ``nan(0x<bits>)``; a
  Python float always has a ``.``, an exponent or is nan/inf, so ``3`` is an int and
  ``3.0`` a float;
- integers are decimal and must fit their dtype; bools are ``true``/``false``.

Parsing problems raise ``ValueProblem`` with the offending token's position; the parser
adds the file, node and field.
"""

from __future__ import annotations

import base64
import hashlib

import numpy as np

DTYPES: dict[str, np.dtype] = {
    name: np.dtype(t) for name, t in (
        ("f16", np.float16), ("f32", np.float32), ("f64", np.float64),
        ("i8", np.int8), ("i16", np.int16), ("i32", np.int32), ("i64", np.int64),
        ("u8", np.uint8), ("u16", np.uint16), ("u32", np.uint32), ("u64", np.uint64),
        ("bool", np.bool_))
}  # fmt: skip
_NAMES = {dtype: name for name, dtype in DTYPES.items()}
_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


class ValueProblem(Exception):
    """A value that does not parse; ``token`` (a lark Token, or None) locates it."""

    def __init__(self, message: str, token=None):
        super().__init__(message)
        self.message = message
        self.token = token


def dtype_name(dtype: np.dtype) -> str | None:
    """The .nirt name of ``dtype`` (native byte order), or None if .nirt has none."""
    dtype = np.dtype(dtype)
    return _NAMES.get(dtype.newbyteorder("=") if dtype.byteorder in "<>" else dtype)


# ---- formatting -----------------------------------------------------------------------


def _nan_bits(dtype: np.dtype) -> int:
    return int(np.array(np.nan, dtype).view(_UINT[dtype.itemsize]))


def format_float(value, dtype: np.dtype) -> str:
    """The shortest literal that parses back to ``value``'s bits in ``dtype``."""
    x = np.asarray(value, dtype=dtype)
    if np.isnan(x):
        bits = int(x.view(_UINT[dtype.itemsize]))
        return "nan" if bits == _nan_bits(dtype) else f"nan(0x{bits:0{2 * dtype.itemsize}x})"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = repr(float(x)) if dtype == np.float64 else str(x[()])
    if not any(c in text for c in ".en"):
        text += ".0"
    return text


def format_literal(value, dtype: np.dtype) -> str:
    """One element of ``dtype`` as a literal."""
    if dtype.kind == "f":
        return format_float(value, dtype)
    if dtype.kind == "b":
        return "true" if bool(value) else "false"
    return str(int(value))


def row_segments(array: np.ndarray) -> list[str]:
    """Nested rows ``[[a, b], [c, d]]`` as segments: joined with " " they are the text,
    and a line may break between any two of them."""
    dtype = array.dtype
    flat = [format_literal(v, dtype) for v in array.reshape(-1)]
    if array.ndim == 0:
        return flat
    if array.size == 0:
        return [_empty_rows(array.shape)]
    segments: list[str] = []
    shape = array.shape
    blocks = [int(np.prod(shape[d:])) for d in range(len(shape))]  # elements per sub-array
    for index, literal in enumerate(flat):
        opened = sum(1 for b in blocks if index % b == 0)
        closed = sum(1 for b in blocks if (index + 1) % b == 0)
        text = "[" * opened + literal + "]" * closed
        segments.append(text if index == len(flat) - 1 else text + ",")
    return segments


def _empty_rows(shape: tuple[int, ...]) -> str:
    if not shape or shape[0] == 0:
        return "[]"
    return "[" + ", ".join(_empty_rows(shape[1:]) for _ in range(shape[0])) + "]"


def is_uniform(array: np.ndarray) -> bool:
    """Every element has the same bits (so -0.0 and 0.0 differ, and NaNs may match)."""
    if array.size == 0:
        return False
    flat = array.reshape(-1)
    if array.dtype.kind == "f":
        flat = flat.view(_UINT[array.dtype.itemsize])
    return bool(np.all(flat == flat[0]))


def to_base64(array: np.ndarray) -> str:
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return base64.b64encode(np.ascontiguousarray(little).tobytes()).decode("ascii")


def digest(array: np.ndarray) -> str:
    """A one-token summary for reading diffs: sha256 prefix of the little-endian bytes,
    min, max, mean.  It does not parse back."""
    little = np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<"), copy=False))
    sha = hashlib.sha256(little.tobytes()).hexdigest()[:12]
    values = array.astype(np.float64)
    with np.errstate(all="ignore"):
        stats = (f"min={values.min():.4g} max={values.max():.4g} mean={values.mean():.4g}"
                 if array.size else "empty")
    return f"<sha256:{sha} {stats}>"


# ---- parsing --------------------------------------------------------------------------


def literal_value(token, dtype: np.dtype):
    """A literal token as a Python number of ``dtype``'s kind (range-checked)."""
    kind, text = token.type, str(token)
    if dtype.kind == "b":
        if kind in ("TRUE", "FALSE"):
            return kind == "TRUE"
        raise ValueProblem(f"expected true or false for dtype bool, found '{text}'", token)
    if kind in ("TRUE", "FALSE"):
        raise ValueProblem(f"'{text}' is not a number (dtype {_NAMES[dtype]})", token)
    if dtype.kind in "iu":
        if kind != "INT":
            raise ValueProblem(f"'{text}' is not an integer (dtype {_NAMES[dtype]})", token)
        value = int(text)
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise ValueProblem(f"{value} does not fit in {_NAMES[dtype]} "
                               f"({info.min}..{info.max})", token)
        return value
    return _float(token, dtype)


def _float(token, dtype: np.dtype):
    text = str(token)
    if token.type == "SPECIAL" and "(" in text:
        bits = int(text[text.index("(") + 1: -1], 16)
        if bits >= 1 << (8 * dtype.itemsize):
            raise ValueProblem(f"NaN bit pattern {text} is wider than {_NAMES[dtype]}", token)
        value = np.array(bits, _UINT[dtype.itemsize]).view(dtype)[()]
        if not np.isnan(value):
            raise ValueProblem(f"bit pattern {text} is not a NaN in {_NAMES[dtype]}", token)
        if text.startswith("-"):
            raise ValueProblem(f"write a signed NaN as its bit pattern, not '{text}'", token)
        return value
    with np.errstate(over="ignore"):
        result = np.array(float(text), dtype=dtype)[()]
    if np.isinf(result) and token.type != "SPECIAL":
        raise ValueProblem(f"{text} overflows {_NAMES[dtype]}", token)
    return result


def python_scalar(token):
    """A literal outside any dtype: int, float or bool, as Python writes them."""
    kind, text = token.type, str(token)
    if kind in ("TRUE", "FALSE"):
        return kind == "TRUE"
    if kind == "INT":
        return int(text)
    return float(_float(token, np.dtype(np.float64)))


def numpy_scalar(token, dtype: np.dtype):
    return dtype.type(literal_value(token, dtype))


def array_from_rows(rows, dtype: np.dtype, shape: tuple[int, ...], where) -> np.ndarray:
    """Nested rows (lists of tokens, each list with a ``token`` for errors) -> array."""
    flat: list = []
    _collect(rows, shape, flat, where)
    values = [literal_value(t, dtype) for t in flat]
    return np.array(values, dtype=dtype).reshape(shape)


def _collect(rows, shape, flat: list, where) -> None:
    if not shape:
        if isinstance(rows, list):
            raise ValueProblem("data is nested deeper than the shape says", where)
        flat.append(rows)
        return
    if not isinstance(rows, list):
        raise ValueProblem(f"expected a row of {shape[0]} element{'s' * (shape[0] != 1)}, "
                           f"found '{rows}'", rows)
    if len(rows) != shape[0]:
        raise ValueProblem(f"a row has {len(rows)} element{'s' * (len(rows) != 1)}, the shape "
                           f"says {shape[0]} "
                           "(shape mismatch)", getattr(rows, "token", None) or where)
    for item in rows:
        _collect(item, shape[1:], flat, where)


def array_from_base64(text: str, dtype: np.dtype, shape: tuple[int, ...], token) -> np.ndarray:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueProblem("invalid base64 data", token) from None
    need = int(np.prod(shape)) * dtype.itemsize
    if len(raw) != need:
        raise ValueProblem(f"base64 data holds {len(raw)} bytes, {_NAMES[dtype]}"
                           f"{list(shape)} needs {need} (shape mismatch)", token)
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)


def check_side_array(array: np.ndarray, dtype: np.dtype, shape: tuple[int, ...], key: str,
                     token) -> np.ndarray:
    """An array from the side file must have the dtype and shape its header states."""
    if array.dtype != dtype:
        found = dtype_name(array.dtype) or array.dtype
        raise ValueProblem(f"side-file array '{key}' has dtype {found}, the text says "
                           f"{_NAMES[dtype]} (wrong dtype)", token)
    if array.shape != shape:
        raise ValueProblem(f"side-file array '{key}' has shape {list(array.shape)}, the text "
                           f"says {list(shape)} (shape mismatch)", token)
    return array
