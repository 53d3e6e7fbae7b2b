"""Hypothesis strategies for sound ``nir.NIRGraph`` objects of every NIR 1.0.8 kind.

``graphs()`` draws a shape-consistent graph: one or two chains
``Input -> node -> ... -> Output`` where each node's input shape is its
predecessor's output shape, plus a few extra edges between nodes whose shapes fit
(forward skips, back edges closing recurrent cycles, self-loops), optional recurrent
``Linear`` loops, nested ``NIRGraph`` nodes up to two levels deep (entered by the
subgraph's bare name or by ``"sub.<input>"``, left by ``"sub"`` or ``"sub.<output>"``),
and metadata of every kind on graphs and nodes.  Sizes are small (dims 1..5).

Node kinds and variants drawn: Input, Output, Affine, Linear (also batched weights
``(..., N_out, N_in)``, int weights), Conv1d and Conv2d (padding 'same', 'valid', an
int or a tuple; groups > 1; strides; dilation; square and non-square kernels;
``input_shape`` given, or ``None`` in memory-only graphs; bias full, ``(1,)`` or 0-d),
Scale, Threshold, Flatten (start_dim/end_dim incl. negative), SumPool2d and AvgPool2d
(arrays, tuples or one scalar for both dims), Delay, LI, LIF, CubaLI, CubaLIF, I, IF
(float32/float64 parameters; 0-d parameters on a rank-0 signal give a scalar neuron).

``file_safe=True`` (the default) draws only graphs that ``nir.write`` can store:
0-d values are numpy scalars (``nir.write`` cannot store 0-d ndarrays: it asks h5py to
compress them), Conv ``input_shape`` and Flatten ``input_type`` are always given
(``nir.write`` cannot store ``None``).  ``file_safe=False`` also draws 0-d ndarrays and
those ``None`` fields.

Node names are sometimes non-ASCII (``fcµ0``); metadata strings draw any character but
NUL and lone surrogates (which HDF5 strings cannot hold).

``graphs(require=...)`` forces one feature (see ``FEATURES``) so that a parametrized
test covers every node kind and variant deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import hypothesis.strategies as st
import nir
import numpy as np

NODE_KINDS = (
    "Input", "Output", "Affine", "Linear", "Conv1d", "Conv2d", "Scale", "Threshold",
    "Flatten", "SumPool2d", "AvgPool2d", "Delay", "LI", "LIF", "CubaLI", "CubaLIF",
    "I", "IF", "NIRGraph",
)  # fmt: skip

ELEMENTWISE = ("Scale", "Threshold", "Delay", "LI", "LIF", "CubaLI", "CubaLIF", "I", "IF")
FLOATS = (np.float32, np.float64)
INTS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
META_DTYPES = (np.float16, np.float32, np.float64, np.bool_, *INTS)

# one forced choice per feature: node kinds and parameter variants
FEATURES: dict[str, dict[str, Any]] = {
    **{f"kind={k}": {"kind": k} for k in NODE_KINDS},
    "conv2d-padding-same": {"kind": "Conv2d", "padding": "same"},
    "conv2d-padding-valid": {"kind": "Conv2d", "padding": "valid"},
    "conv2d-padding-int": {"kind": "Conv2d", "padding": "int"},
    "conv2d-padding-tuple": {"kind": "Conv2d", "padding": "tuple"},
    "conv2d-groups": {"kind": "Conv2d", "groups": True},
    "conv2d-strided": {"kind": "Conv2d", "strided": True},
    "conv2d-dilated": {"kind": "Conv2d", "dilated": True},
    "conv2d-nonsquare-kernel": {"kind": "Conv2d", "nonsquare": True},
    "conv1d-padding-same": {"kind": "Conv1d", "padding": "same"},
    "conv1d-padding-valid": {"kind": "Conv1d", "padding": "valid"},
    "conv1d-padding-int": {"kind": "Conv1d", "padding": "int"},
    "conv1d-padding-tuple": {"kind": "Conv1d", "padding": "tuple"},
    "conv1d-groups": {"kind": "Conv1d", "groups": True},
    "conv1d-strided-dilated": {"kind": "Conv1d", "strided": True, "dilated": True},
    "flatten-negative-dims": {"kind": "Flatten", "negative": True},
    "pool-scalar-params": {"kind": "SumPool2d", "pool_scalar": True},
    "affine-batched-weight": {"kind": "Affine", "batched": True},
    "affine-broadcast-bias": {"kind": "Affine", "bias": "broadcast"},
    "int-parameters": {"kind": "Scale", "ints": True},
    "int-weights": {"kind": "Linear", "ints": True},
    "scalar-LIF": {"kind": "LIF", "rank": 0},
    "scalar-CubaLIF": {"kind": "CubaLIF", "rank": 0},
    "scalar-IF": {"kind": "IF", "rank": 0},
    "float64-neurons": {"kind": "CubaLI", "float": np.float64},
    "self-loop": {"self_loop": True},
    "recurrent-linear": {"recurrent_linear": True},
    "nested-two-levels": {"nested2": True},
    "two-inputs-two-outputs": {"two_chains": True},
    "metadata-every-kind": {"metadata_all": True},
}
MEMORY_ONLY_FEATURES: dict[str, dict[str, Any]] = {
    "conv2d-no-input_shape": {"kind": "Conv2d", "no_input_shape": True},
    "conv1d-no-input_shape": {"kind": "Conv1d", "no_input_shape": True},
    "flatten-no-input_type": {"kind": "Flatten", "no_input_type": True},
    "zero-d-ndarrays": {"kind": "LIF", "rank": 0, "zero_d_arrays": True},
}

_KIND_RANKS = {"Conv2d": (3,), "SumPool2d": (3,), "AvgPool2d": (3,), "Conv1d": (2,),
               "Affine": (1, 2, 3), "Linear": (1, 2, 3), "Flatten": (1, 2, 3)}
_BASE_NAMES = {"Input": "input", "Output": "output", "Affine": "fc", "Linear": "lin",
               "Conv1d": "conv1d", "Conv2d": "conv", "Scale": "scale", "Threshold": "thr",
               "Flatten": "flat", "SumPool2d": "sumpool", "AvgPool2d": "avgpool",
               "Delay": "delay", "LI": "li", "LIF": "lif", "CubaLI": "culi",
               "CubaLIF": "culif", "I": "i", "IF": "if", "NIRGraph": "sub"}

_META_KEY = st.text(alphabet="abcxyzABC_019-", min_size=1, max_size=6).filter(
    lambda k: k != "metadata")
_TEXT = st.text(alphabet=st.characters(min_codepoint=1, exclude_categories=("Cs",)), max_size=12)


# -------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    draw: Any
    rng: np.random.Generator
    file_safe: bool
    forced: dict[str, Any]

    def f(self, key: str, default: Any = None) -> Any:
        return self.forced.get(key, default)

    def choice(self, options):
        return self.draw(st.sampled_from(list(options)))

    def boolean(self, key: str | None = None) -> bool:
        if key is not None and key in self.forced:
            return bool(self.forced[key])
        return self.draw(st.booleans())

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


@dataclass
class _Item:
    """A node of a graph under construction, with the edge spellings that reach it."""

    name: str
    node: Any
    in_refs: list[str]  # destination spellings (empty for a root Input)
    out_refs: list[str]  # source spellings (empty for an Output)
    in_shape: tuple[int, ...] | None
    out_shape: tuple[int, ...] | None


@dataclass
class _Names:
    used: set[str] = field(default_factory=set)

    def new(self, ctx: _Ctx, kind: str) -> str:
        style = ctx.choice(["kind", "kind", "digits", "mixed", "unicode"])
        base = {"kind": _BASE_NAMES[kind], "digits": "", "mixed": _BASE_NAMES[kind] + "-",
                "unicode": _BASE_NAMES[kind] + "µ"}[style]
        n = 0
        while True:
            name = f"{base}{n}" if (style != "kind" or n) else base
            if name not in self.used:
                self.used.add(name)
                return name
            n += 1


# ---- values --------------------------------------------------------------------------


def _values(ctx: _Ctx, shape: tuple[int, ...], dtype, *, positive: bool = False,
            nonneg: bool = False, scalar_ok: bool = True):
    """An array of ``shape`` and ``dtype`` (a numpy scalar or 0-d array for ``()``)."""
    dtype = np.dtype(dtype)
    rng = ctx.rng
    size = int(np.prod(shape))
    style = ctx.choice(["normal", "special", "round"])
    if dtype.kind == "f":
        info = np.finfo(dtype)
        if style == "normal":
            raw = rng.standard_normal(size) * 10.0 ** rng.integers(-4, 3)
        elif style == "special":
            specials = [0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, float(info.tiny),
                        float(info.smallest_subnormal), float(info.eps), float(info.max),
                        -float(info.max), 1e-7, 123456.789, 1000001.0, -16777217.0]
            raw = rng.choice(np.array(specials, dtype=np.float64), size=size)
        else:
            raw = rng.integers(-3, 4, size=size).astype(np.float64)
        flat = np.clip(raw, -float(info.max), float(info.max)).astype(dtype)
        if positive:
            flat = np.abs(flat)
            flat[~(flat > 0)] = dtype.type(0.5)
        elif nonneg:
            flat = np.abs(flat)
    else:
        info = np.iinfo(dtype)
        if style == "special":
            low, high = int(info.min), int(info.max)
        else:
            low, high = max(int(info.min), -100), min(int(info.max), 100)
        if positive:
            low = max(low, 1)
        elif nonneg:
            low = max(low, 0)
        flat = np.asarray(rng.integers(low, high, size=size, endpoint=True, dtype=dtype))
    array = np.array(flat, dtype=dtype).reshape(shape)
    if shape == () and scalar_ok:
        return _zero_d(ctx, array)
    return array


def _zero_d(ctx: _Ctx, array: np.ndarray):
    """A 0-d value: a numpy scalar (as h5py returns) or, in memory, maybe a 0-d array."""
    if ctx.f("zero_d_arrays"):
        return array
    if not ctx.file_safe and ctx.boolean():
        return array
    return array[()]


def _geometry(ctx: _Ctx, values: tuple[int, ...], *, scalar_ok: bool = True):
    """An int geometry parameter: Python int, numpy int, tuple or int array."""
    options = ["tuple", "array64", "array32"]
    if scalar_ok and len(set(values)) == 1:
        options += ["int", "np.int64"]
    style = ctx.choice(options)
    if style == "int":
        return int(values[0])
    if style == "np.int64":
        return np.int64(values[0])
    if style == "tuple":
        return tuple(int(v) for v in values)
    return np.array(values, dtype=np.int64 if style == "array64" else np.int32)


def _float_dtype(ctx: _Ctx):
    forced = ctx.f("float")
    return forced if forced is not None else ctx.choice(FLOATS)


def _param_dtype(ctx: _Ctx, ints_allowed: bool):
    if ints_allowed and ctx.f("ints"):
        return ctx.choice(INTS)
    options = list(FLOATS) + ([np.float16] if ints_allowed else [])
    if ints_allowed:
        options += [np.int32, np.int64]
    return ctx.choice(options)


def _shape_array(ctx: _Ctx, shape: tuple[int, ...]) -> np.ndarray:
    dtype = ctx.choice([np.int64, np.int64, np.int64, np.int32])
    return np.array(shape, dtype=dtype)


# ---- nodes ---------------------------------------------------------------------------


def _node(ctx: _Ctx, kind: str, shape: tuple[int, ...]):
    """A ``kind`` node taking ``shape``; returns (node, output shape)."""
    make = globals()[f"_make_{kind}"]
    node, out = make(ctx, shape)
    if ctx.draw(st.integers(0, 4)) == 0:
        node.metadata = _metadata(ctx)
    return node, out


def _make_elementwise_params(ctx: _Ctx, shape, names, positive=(), nonneg=()):
    dtype = _float_dtype(ctx)
    return {n: _values(ctx, shape, dtype, positive=n in positive, nonneg=n in nonneg)
            for n in names}


def _make_Scale(ctx, shape):
    dtype = _param_dtype(ctx, ints_allowed=True)
    return nir.Scale(scale=_values(ctx, shape, dtype)), shape


def _make_Threshold(ctx, shape):
    dtype = _param_dtype(ctx, ints_allowed=True)
    return nir.Threshold(threshold=_values(ctx, shape, dtype)), shape


def _make_Delay(ctx, shape):
    return nir.Delay(delay=_values(ctx, shape, _float_dtype(ctx), nonneg=True)), shape


def _make_I(ctx, shape):
    return nir.I(r=_values(ctx, shape, _float_dtype(ctx))), shape


def _make_IF(ctx, shape):
    p = _make_elementwise_params(ctx, shape, ("r", "v_threshold", "v_reset"))
    if shape != () and ctx.boolean():
        del p["v_reset"]  # NIR fills zeros_like(v_threshold)
    return nir.IF(**p), shape


def _make_LI(ctx, shape):
    p = _make_elementwise_params(ctx, shape, ("tau", "r", "v_leak"), positive=("tau",))
    return nir.LI(**p), shape


def _make_LIF(ctx, shape):
    p = _make_elementwise_params(ctx, shape, ("tau", "r", "v_leak", "v_threshold", "v_reset"),
                                 positive=("tau",))
    if shape != () and ctx.boolean():
        del p["v_reset"]
    return nir.LIF(**p), shape


def _make_CubaLI(ctx, shape):
    p = _make_elementwise_params(ctx, shape, ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
                                 positive=("tau_syn", "tau_mem"))
    if ctx.boolean():
        del p["w_in"]  # NIR's default 1.0, broadcast to ones_like(v_leak)
    return nir.CubaLI(**p), shape


def _make_CubaLIF(ctx, shape):
    p = _make_elementwise_params(
        ctx, shape, ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
        positive=("tau_syn", "tau_mem"))
    if ctx.boolean():
        del p["w_in"]
    if shape != () and ctx.boolean():
        del p["v_reset"]
    return nir.CubaLIF(**p), shape


def _dense(ctx, shape, with_bias: bool):
    n_in = shape[-1]
    batch = shape[:-1]
    m = ctx.integer(1, 5)
    w_dtype = _param_dtype(ctx, ints_allowed=True)
    weight = _values(ctx, (*batch, m, n_in), w_dtype)
    out = (*batch, m)
    if not with_bias:
        return weight, None, out
    b_dtype = ctx.choice([w_dtype, w_dtype, np.float32, np.float64])
    forced = ctx.f("bias")
    style = ctx.choice(["full", "broadcast"] if forced is None else [forced])
    if style == "full":
        bias_shape = out
    else:
        bias_shape = ctx.choice([(m,), (1,), ()])
    return weight, _values(ctx, bias_shape, b_dtype), out


def _make_Affine(ctx, shape):
    weight, bias, out = _dense(ctx, shape, True)
    return nir.Affine(weight=weight, bias=bias), out


def _make_Linear(ctx, shape):
    weight, _, out = _dense(ctx, shape, False)
    return nir.Linear(weight=weight), out


def _conv_out(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _make_conv(ctx: _Ctx, shape, spatial: int):
    channels, dims = shape[0], shape[1:]
    divisors = [g for g in range(1, channels + 1) if channels % g == 0]
    if ctx.f("groups") and channels > 1:
        groups = ctx.choice([g for g in divisors if g > 1])
    else:
        groups = ctx.choice(divisors) if ctx.draw(st.integers(0, 3)) == 0 else 1
    c_out = groups * ctx.integer(1, 2 if groups > 1 else 3)
    square = spatial == 1 or not (ctx.f("nonsquare") or ctx.draw(st.integers(0, 5)) == 0)
    kernel = [ctx.integer(1, 3)] * spatial if square else [ctx.integer(1, 3) for _ in dims]
    if ctx.f("nonsquare") and spatial == 2 and len(set(kernel)) == 1:
        kernel[1] = kernel[0] % 3 + 1
    strided, dilated = ctx.f("strided"), ctx.f("dilated")
    stride = [ctx.integer(2 if strided else 1, 2) for _ in dims]
    if len(set(stride)) > 1 and ctx.boolean():
        stride = [stride[0]] * spatial
    dilation = [ctx.integer(2 if dilated else 1, 2) for _ in dims]
    if len(set(dilation)) > 1 and ctx.boolean():
        dilation = [dilation[0]] * spatial
    pad_kind = ctx.f("padding") or ctx.choice(
        ["valid", "int", "tuple"] + ([] if strided else ["same"]))
    if pad_kind == "same":
        stride = [1] * spatial  # 'same' with stride 1, as in PyTorch
    pads = ([0] * spatial if pad_kind in ("same", "valid")
            else [ctx.integer(0, 2)] * spatial if pad_kind == "int"
            else [ctx.integer(0, 2) for _ in dims])
    # keep the output non-empty: shrink the kernel where it does not fit
    for i, n in enumerate(dims):
        if pad_kind != "same" and _conv_out(n, kernel[i], stride[i], pads[i], dilation[i]) < 1:
            kernel[i] = 1
    out = tuple(n if pad_kind == "same" else _conv_out(n, k, s, p, d)
                for n, k, s, p, d in zip(dims, kernel, stride, pads, dilation))
    w_dtype = _param_dtype(ctx, ints_allowed=True)
    weight = _values(ctx, (c_out, channels // groups, *kernel), w_dtype)
    bias = _values(ctx, ctx.choice([(c_out,), (c_out,), (1,), ()]), w_dtype)
    if pad_kind in ("same", "valid"):
        padding = pad_kind
    elif pad_kind == "int":
        # nir.Conv2d turns a Python int into a tuple; a numpy int stays one value
        forced_scalar = ctx.f("padding") == "int" and spatial == 2
        padding = np.int64(pads[0]) if forced_scalar else ctx.choice(
            [int(pads[0]), np.int64(pads[0])])
    else:
        padding = _geometry(ctx, tuple(pads), scalar_ok=False)
    if ctx.f("no_input_shape") or (not ctx.file_safe and ctx.draw(st.integers(0, 3)) == 0):
        input_shape = None
    elif spatial == 1:
        input_shape = ctx.choice([int(dims[0]), np.int64(dims[0])])
    else:
        input_shape = ctx.choice([tuple(int(d) for d in dims), np.array(dims, dtype=np.int64)])
    cls = nir.Conv1d if spatial == 1 else nir.Conv2d
    node = cls(input_shape=input_shape, weight=weight, stride=_geometry(ctx, tuple(stride)),
               padding=padding, dilation=_geometry(ctx, tuple(dilation)),
               groups=ctx.choice([groups, np.int64(groups)]), bias=bias)
    return node, (c_out, *out)


def _make_Conv1d(ctx, shape):
    return _make_conv(ctx, shape, 1)


def _make_Conv2d(ctx, shape):
    return _make_conv(ctx, shape, 2)


def _make_pool(ctx: _Ctx, shape, cls):
    dims = shape[1:]
    uniform = ctx.f("pool_scalar") or ctx.boolean()
    if uniform:
        k, s = ctx.integer(1, 3), ctx.integer(1, 2)
        kernel, stride = [k, k], [s, s]
        p = ctx.integer(0, k // 2)
        pads = [p, p]
    else:
        kernel = [ctx.integer(1, 3) for _ in dims]
        stride = [ctx.integer(1, 2) for _ in dims]
        pads = [ctx.integer(0, k // 2) for k in kernel]
    for i, n in enumerate(dims):
        if _conv_out(n, kernel[i], stride[i], pads[i], 1) < 1:
            if uniform:
                kernel, pads = [1, 1], [0, 0]
            else:
                kernel[i], pads[i] = 1, 0
    out = tuple(_conv_out(n, k, s, p, 1) for n, k, s, p in zip(dims, kernel, stride, pads))

    def param(values):
        if ctx.f("pool_scalar") and len(set(values)) == 1:
            return np.int64(values[0])
        return _geometry(ctx, tuple(values))

    node = cls(kernel_size=param(kernel), stride=param(stride), padding=param(pads))
    return node, (shape[0], *out)


def _make_SumPool2d(ctx, shape):
    return _make_pool(ctx, shape, nir.SumPool2d)


def _make_AvgPool2d(ctx, shape):
    return _make_pool(ctx, shape, nir.AvgPool2d)


def _make_Flatten(ctx: _Ctx, shape):
    n = len(shape)
    start = ctx.integer(0, n - 1)
    end = ctx.integer(start, n - 1)
    out = (*shape[:start], int(np.prod(shape[start:end + 1])), *shape[end + 1:])
    negative = ctx.f("negative")
    if negative or ctx.boolean():
        start = start - n
    if negative or ctx.boolean():
        end = end - n
    start = ctx.choice([int(start), np.int64(start)])
    end = ctx.choice([int(end), np.int64(end)])
    if ctx.f("no_input_type") or (not ctx.file_safe and ctx.draw(st.integers(0, 3)) == 0):
        input_type = None
    else:
        input_type = _shape_array(ctx, shape)
    node = nir.Flatten(input_type=input_type, start_dim=start, end_dim=end)
    return node, out


# ---- metadata ------------------------------------------------------------------------


_FLOATS = st.floats(allow_nan=False)


def _meta_value(ctx: _Ctx, depth: int):
    kind = ctx.choice(["str", "int", "float", "bool", "array", "scalar"]
                      + (["dict"] if depth < 2 else []))
    return _meta_of_kind(ctx, kind, depth)


def _meta_of_kind(ctx: _Ctx, kind: str, depth: int, dtype=None):
    if kind == "str":
        return ctx.draw(_TEXT)
    if kind == "int":
        return ctx.draw(st.integers(-(2**63), 2**63 - 1))
    if kind == "float":
        return ctx.draw(_FLOATS)
    if kind == "bool":
        return ctx.draw(st.booleans())
    if kind in ("array", "scalar"):
        dtype = np.dtype(dtype or ctx.choice(META_DTYPES))
        shape = () if kind == "scalar" else ctx.choice([(0,), (1,), (3,), (2, 2)])
        if dtype == np.bool_:
            array = ctx.rng.integers(0, 2, size=shape).astype(np.bool_)
        else:
            array = _values(ctx, shape, dtype, scalar_ok=False)
        return array[()] if kind == "scalar" else array
    return _metadata(ctx, depth + 1)


def _metadata(ctx: _Ctx, depth: int = 0) -> dict:
    keys = ctx.draw(st.lists(_META_KEY, max_size=4, unique=True))
    return {k: _meta_value(ctx, depth) for k in keys}


def metadata_of_every_kind(ctx: _Ctx) -> dict:
    meta: dict[str, Any] = {
        "text": ctx.draw(_TEXT),
        "quoted": 'a "quoted" \\ back\\slash\nnew line\ttab',
        "empty_text": "",
        "int": ctx.draw(st.integers(-(2**63), 2**63 - 1)),
        "float": ctx.draw(_FLOATS),
        "bool": True,
        "false": False,
        "nested": {"level2": {"x": 1, "s": "deep", "a": np.arange(3, dtype=np.int16)},
                   "empty": {}},
    }
    for dtype in META_DTYPES:
        name = np.dtype(dtype).name
        meta[f"array_{name}"] = _meta_of_kind(ctx, "array", 0, dtype)
        meta[f"scalar_{name}"] = _meta_of_kind(ctx, "scalar", 0, dtype)
    meta["matrix"] = np.arange(6, dtype=np.float32).reshape(2, 3)
    return meta


# ---- graphs --------------------------------------------------------------------------


def _free_kind(ctx: _Ctx, shape, depth: int) -> str:
    rank = len(shape)
    options = list(ELEMENTWISE)
    if rank >= 1:
        options += ["Affine", "Linear", "Flatten"]
    if rank == 2:
        options += ["Conv1d"]
    if rank == 3:
        options += ["Conv2d", "SumPool2d", "AvgPool2d", "Conv2d"]
    if depth < 2 and ctx.draw(st.integers(0, 9)) == 0:
        options += ["NIRGraph"]
    return ctx.choice(options)


def _chain(ctx: _Ctx, names: _Names, items: list[_Item], edges: list, start: _Item,
           depth: int, length: int, required: str | None = None) -> _Item:
    """Append ``length`` nodes after ``start`` (the first of them ``required``)."""
    prev = start
    for i in range(length):
        shape = prev.out_shape
        kind = required if (i == 0 and required) else _free_kind(ctx, shape, depth)
        if kind == "NIRGraph":
            item = _subgraph_item(ctx, names, shape, depth + 1)
        else:
            name = names.new(ctx, kind)
            node, out = _node(ctx, kind, shape)
            item = _Item(name, node, [name], [name], shape, out)
        _connect(edges, prev, item)
        items.append(item)
        prev = item
    return prev


def _connect(edges: list, src: _Item, dst: _Item) -> None:
    for s in src.out_refs:
        for d in dst.in_refs:
            if (s, d) not in edges:
                edges.append((s, d))


def _subgraph_item(ctx: _Ctx, names: _Names, shape, depth: int) -> _Item:
    """A nested NIRGraph node taking ``shape``, with its port spellings."""
    name = names.new(ctx, "NIRGraph")
    inner = _Names()
    items: list[_Item] = []
    edges: list = []
    in_names = [inner.new(ctx, "Input")]
    if ctx.draw(st.integers(0, 3)) == 0:
        in_names.append(inner.new(ctx, "Input"))
    inputs = [_Item(n, nir.Input(_shape_array(ctx, shape)), [], [n], shape, shape) for n in in_names]
    items.extend(inputs)
    force_nested = ctx.f("nested2") and depth == 1
    length = ctx.integer(1 if force_nested else 0, 3)
    last = inputs[0]
    if length:
        first_kind = "NIRGraph" if force_nested else None
        # the chain starts after the first Input; other Inputs feed its first node
        before = len(items)
        last = _chain(ctx, inner, items, edges, inputs[0], depth, length, first_kind)
        first = items[before]
        for extra in inputs[1:]:
            _connect(edges, extra, first)
    out_names = [inner.new(ctx, "Output")]
    if ctx.draw(st.integers(0, 3)) == 0:
        out_names.append(inner.new(ctx, "Output"))
    outputs = [_Item(n, nir.Output(_shape_array(ctx, last.out_shape)), [n], [], last.out_shape,
                     None) for n in out_names]
    for out in outputs:
        _connect(edges, last, out)
        if not length:
            for extra in inputs[1:]:
                _connect(edges, extra, out)
    items.extend(outputs)
    _extra_edges(ctx, items, edges)
    metadata = _metadata(ctx) if ctx.boolean() else {}
    graph = nir.NIRGraph(nodes={it.name: it.node for it in items}, edges=edges,
                         metadata=metadata, type_check=False)
    bare_in = len(in_names) == 1 and ctx.boolean()
    bare_out = len(out_names) == 1 and ctx.boolean()
    in_refs = [name] if bare_in else [f"{name}.{n}" for n in in_names]
    out_refs = [name] if bare_out else [f"{name}.{n}" for n in out_names]
    return _Item(name, graph, in_refs, out_refs, shape, last.out_shape)


def _extra_edges(ctx: _Ctx, items: list[_Item], edges: list, forced_self_loop=False) -> None:
    """A few more edges between nodes whose shapes fit: skips, back edges, self-loops."""
    candidates = []
    for src in items:
        if src.out_shape is None:
            continue
        for dst in items:
            if dst.in_shape is None or not dst.in_refs or dst.in_shape != src.out_shape:
                continue
            for s in src.out_refs:
                for d in dst.in_refs:
                    if (s, d) not in edges:
                        candidates.append((s, d))
    if candidates:
        extra = ctx.draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True))
        edges.extend(e for e in extra if e not in edges)


def _root_shape(ctx: _Ctx, kind: str | None) -> tuple[int, ...]:
    if ctx.f("rank") is not None:
        rank = ctx.f("rank")
    elif ctx.f("batched"):
        rank = ctx.choice([2, 3])
    elif kind in _KIND_RANKS:
        rank = ctx.choice(_KIND_RANKS[kind])
    else:
        rank = ctx.choice([0, 1, 1, 2, 3])
    low = 2 if ctx.f("groups") and kind in ("Conv1d", "Conv2d") else 1
    shape = [ctx.integer(low, 4)] + [ctx.integer(1, 5) for _ in range(rank - 1)]
    return tuple(shape[:rank])


@st.composite
def graphs(draw, file_safe: bool = True, require: str | None = None) -> nir.NIRGraph:
    """A sound NIRGraph (see the module docstring); ``require`` names a FEATURES key."""
    forced = dict(FEATURES.get(require, MEMORY_ONLY_FEATURES.get(require, {}))) if require else {}
    if require and not forced:
        raise ValueError(f"unknown feature {require!r}")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ctx = _Ctx(draw, rng, file_safe, forced)
    names = _Names()
    items: list[_Item] = []
    edges: list = []
    kind = forced.get("kind")
    if kind in ("Input", "Output"):
        kind = None
    if forced.get("nested2"):
        kind = "NIRGraph"
    n_chains = 2 if forced.get("two_chains") else ctx.choice([1, 1, 1, 2])
    for c in range(n_chains):
        required = kind if c == 0 else None
        shape = _root_shape(ctx, required) if c == 0 else _root_shape(ctx, None)
        name = names.new(ctx, "Input")
        start = _Item(name, nir.Input(_shape_array(ctx, shape)), [], [name], None, shape)
        items.append(start)
        length = ctx.integer(1 if required else 0, 4)
        last = start
        if required == "NIRGraph" or (required and ctx.boolean()):
            last = _chain(ctx, names, items, edges, start, 0, 1, required)
            length -= 1
        elif required:
            # a shape-preserving prefix, then the required node
            prefix = ctx.integer(0, 2)
            for _ in range(prefix):
                last = _chain(ctx, names, items, edges, last, 0, 1, ctx.choice(ELEMENTWISE))
            last = _chain(ctx, names, items, edges, last, 0, 1, required)
            length -= 1
        if length > 0:
            last = _chain(ctx, names, items, edges, last, 0, length)
        out_name = names.new(ctx, "Output")
        out = _Item(out_name, nir.Output(_shape_array(ctx, last.out_shape)), [out_name], [],
                    last.out_shape, None)
        _connect(edges, last, out)
        items.append(out)
    if forced.get("self_loop"):
        target = items[0]
        lif, shape = _node(ctx, "LIF", target.out_shape)
        name = names.new(ctx, "LIF")
        item = _Item(name, lif, [name], [name], shape, shape)
        _connect(edges, target, item)
        items.append(item)
        edges.append((name, name))
        # ... and out to an Output of its own
        out_name = names.new(ctx, "Output")
        items.append(_Item(out_name, nir.Output(_shape_array(ctx, shape)), [out_name], [], shape, None))
        edges.append((name, out_name))
    recurrent = forced.get("recurrent_linear") or ctx.draw(st.integers(0, 5)) == 0
    if recurrent:
        hosts = [it for it in items if it.in_shape is not None and it.out_shape is not None
                 and it.in_shape == it.out_shape and len(it.out_shape) == 1
                 and it.in_refs and it.out_refs]
        if not hosts and forced.get("recurrent_linear"):
            n = ctx.integer(1, 5)
            name = names.new(ctx, "Input")
            start = _Item(name, nir.Input(np.array([n])), [], [name], None, (n,))
            items.append(start)
            host = _chain(ctx, names, items, edges, start, 0, 1, "LIF")
            out_name = names.new(ctx, "Output")
            out = _Item(out_name, nir.Output(np.array([n])), [out_name], [], (n,), None)
            _connect(edges, host, out)
            items.append(out)
            hosts = [host]
        if hosts:
            host = ctx.choice(hosts)
            n = host.out_shape[0]
            name = names.new(ctx, "Linear")
            rec = nir.Linear(weight=_values(ctx, (n, n), _float_dtype(ctx)))
            item = _Item(name, rec, [name], [name], (n,), (n,))
            _connect(edges, host, item)
            _connect(edges, item, host)
            items.append(item)
    _extra_edges(ctx, items, edges)
    if forced.get("metadata_all"):
        metadata = metadata_of_every_kind(ctx)
        items[0].node.metadata = metadata_of_every_kind(ctx)
    else:
        metadata = _metadata(ctx) if ctx.boolean() else {}
    return nir.NIRGraph(nodes={it.name: it.node for it in items}, edges=edges,
                        metadata=metadata, type_check=False)


def all_features(file_safe: bool = True) -> list[str]:
    """The feature names ``graphs(require=...)`` accepts for this kind of test."""
    return list(FEATURES) + ([] if file_safe else list(MEMORY_ONLY_FEATURES))
