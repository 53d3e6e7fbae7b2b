"""The ``nir`` dialect: NIR 1.0.8 graphs, one op per node type, continuous time.

The dialect mirrors NIR exactly (https://neuroir.org, package ``nir`` 1.0.8): each op
keeps its NIR node name and every NIR field with its dtype.  Edges are SSA values;
an op's operands are its incoming edges and are summed.  ``nir.graph`` holds a graph
in a single-block region where a value may be used before it is defined, so
recurrent graphs (cycles, self-loops) are expressible.  A nested ``nir.graph`` is a
node of its parent: its operands are edges into the subgraph, bound to the block's
arguments, and its results are edges out of it (see ``GraphOp``).

Time constants are in seconds; no dt is chosen at this level (see ``discretize``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, StringAttr, TensorType
from xdsl.ir import Attribute, Dialect
from xdsl.irdl import irdl_op_definition, opt_prop_def, prop_def

from .arrays import to_dense
from .nir_base import NODE_TRAITS, NodeOp, NoInputByDefault, Shape, check_dims, node_result
from .nir_checks import (
    broadcast_shape,
    broadcasts_to,
    require_int,
    require_numeric,
    require_positive,
)
from .nir_shapes import conv_output, flatten_output, per_dim

# -------------------------------------------------------------------------------------
# graph boundary


@irdl_op_definition
class InputOp(NoInputByDefault, NodeOp):
    """NIR ``Input``: a graph input of per-sample shape ``shape``; y(t) = x(t).

    At the top level it has no operand.  Inside a nested graph its operands are the
    block arguments bound to the edges that enter the subgraph through it.
    """

    name = "nir.input"
    NIR_TYPE: ClassVar = "Input"
    FIELDS: ClassVar = ("shape",)
    shape = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()

    def expected_input_shape(self) -> Shape | None:
        return io_shape(self)

    def verify_fields(self) -> None:
        io_shape(self)

    def field_properties_for_printing(self) -> dict[str, Attribute]:
        return _props_without_implicit_shape(self, self.output_shape)

    @classmethod
    def complete_parsed_properties(cls, props, in_type, out_type) -> None:
        if "shape" not in props and isinstance(out_type, TensorType):
            props["shape"] = to_dense(np.array(out_type.get_shape(), dtype=np.int64))


@irdl_op_definition
class OutputOp(NodeOp):
    """NIR ``Output``: a graph output of per-sample shape ``shape``; y(t) = x(t).

    It has no result: a nested graph exposes its outputs as the ``nir.graph`` results.
    """

    name = "nir.output"
    NIR_TYPE: ClassVar = "Output"
    FIELDS: ClassVar = ("shape",)
    HAS_RESULT: ClassVar = False
    shape = prop_def(DenseIntOrFPElementsAttr)

    def expected_input_shape(self) -> Shape | None:
        return io_shape(self)

    def verify_fields(self) -> None:
        io_shape(self)

    def no_input_type(self) -> Attribute:
        from .nir_base import signal_type

        return signal_type(self.expected_input_shape())  # type: ignore[arg-type]

    def field_properties_for_printing(self) -> dict[str, Attribute]:
        return _props_without_implicit_shape(self, self.expected_input_shape())

    @classmethod
    def complete_parsed_properties(cls, props, in_type, out_type) -> None:
        if "shape" not in props and isinstance(in_type, TensorType):
            props["shape"] = to_dense(np.array(in_type.get_shape(), dtype=np.int64))


def io_shape(op: NodeOp) -> Shape:
    """The ``shape`` field of an Input/Output, checked: a 1-d integer array of dims >= 1
    within nirc's size limit (nir_base.check_dims)."""
    require_int(op, "shape")
    values = op.array("shape")
    if values.ndim != 1:  # type: ignore[union-attr]
        raise op.error(f"must be a 1-d array of dims, found a {values.ndim}-d array", "shape")
    shape = check_dims(values, "the shape")
    if isinstance(shape, str):
        raise op.error(shape, "shape")
    return shape


def _props_without_implicit_shape(op: NodeOp, shape: Shape | None) -> dict[str, Attribute]:
    """Input/Output print their ``shape`` only when the type does not already say it."""
    props = NodeOp.field_properties_for_printing(op)
    values = op.array("shape")
    if values is not None and values.dtype == np.int64 and tuple(values) == shape:
        props.pop("shape")
    return props


# -------------------------------------------------------------------------------------
# synapses: affine maps, convolutions, pooling, reshapes


@irdl_op_definition
class AffineOp(NodeOp):
    """NIR ``Affine``: y(t) = W x(t) + b, W of shape (..., N_out, N_in)."""

    name = "nir.affine"
    NIR_TYPE: ClassVar = "Affine"
    FIELDS: ClassVar = ("weight", "bias")
    traits = NODE_TRAITS
    weight = prop_def(DenseIntOrFPElementsAttr)
    bias = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()

    def expected_input_shape(self) -> Shape | None:
        w = self.array("weight").shape  # type: ignore[union-attr]
        return (*w[:-2], w[-1]) if len(w) >= 2 else None

    def infer_output_shape(self, input_shape):
        w = self.array("weight").shape  # type: ignore[union-attr]
        return (*w[:-2], w[-2])

    def verify_fields(self) -> None:
        for f in self.FIELDS:
            require_numeric(self, f)
        _verify_dense_weight(self)
        out = self.infer_output_shape(None)
        bias = self.array("bias").shape  # type: ignore[union-attr]
        if not broadcasts_to(bias, out):
            raise self.error(f"shape {list(bias)} does not fit output {list(out)}", "bias")


@irdl_op_definition
class LinearOp(NodeOp):
    """NIR ``Linear``: y(t) = W x(t), W of shape (..., N_out, N_in)."""

    name = "nir.linear"
    NIR_TYPE: ClassVar = "Linear"
    FIELDS: ClassVar = ("weight",)
    traits = NODE_TRAITS
    weight = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()

    expected_input_shape = AffineOp.expected_input_shape
    infer_output_shape = AffineOp.infer_output_shape

    def verify_fields(self) -> None:
        require_numeric(self, "weight")
        _verify_dense_weight(self)


def _verify_dense_weight(op: NodeOp) -> None:
    if op.array("weight").ndim < 2:  # type: ignore[union-attr]
        raise op.error("must have at least 2 dims (N_out, N_in)", "weight")


class ConvOp(NodeOp):
    """Shared rules of Conv1d/Conv2d (PyTorch semantics, NIR weight layout)."""

    SPATIAL: ClassVar[int] = 0
    FIELDS: ClassVar = ("input_shape", "weight", "stride", "padding", "dilation", "groups", "bias")
    OPTIONAL_FIELDS: ClassVar = frozenset({"input_shape"})

    def _geometry(self):
        n = self.SPATIAL
        pad_str = self.string("padding")
        padding = pad_str if pad_str is not None else per_dim(self.array("padding"), n, 0)
        return (
            self.array("weight").shape[2:],  # type: ignore[union-attr]
            per_dim(self.array("stride"), n, 1),
            padding,
            per_dim(self.array("dilation"), n, 1),
        )

    def expected_input_shape(self) -> Shape | None:
        spatial = self.array("input_shape")
        if spatial is None:
            return None
        w = self.array("weight").shape  # type: ignore[union-attr]
        groups = int(self.array("groups").reshape(-1)[0])  # type: ignore[union-attr]
        return (w[1] * groups, *per_dim(spatial, self.SPATIAL, 0))

    def infer_output_shape(self, input_shape):
        if input_shape is None:
            return None
        kernel, stride, padding, dilation = self._geometry()
        w = self.array("weight").shape  # type: ignore[union-attr]
        return (w[0], *conv_output(input_shape[1:], kernel, stride, padding, dilation))

    def verify_fields(self) -> None:
        n = self.SPATIAL
        for f in ("input_shape", "stride", "dilation", "groups"):
            require_int(self, f)
        require_numeric(self, "weight")
        require_numeric(self, "bias")
        w = self.array("weight").shape  # type: ignore[union-attr]
        if len(w) != n + 2:
            raise self.error(f"must have {n + 2} dims (C_out, C_in/groups, kernel)", "weight")
        for f in ("stride", "dilation", "groups"):
            require_positive(self, f)
        pad = self.string("padding")
        if pad is None:
            require_int(self, "padding")
            require_positive(self, "padding", strict=False)
        elif pad not in ("same", "valid"):
            raise self.error(f"must be 'same', 'valid' or integers, found '{pad}'", "padding")
        for f in ("input_shape", "stride", "dilation", "padding"):
            values = self.array(f)
            if values is not None and values.size not in (1, n):
                raise self.error(f"must have 1 or {n} values, found {values.size}", f)
        groups = int(self.array("groups").reshape(-1)[0])  # type: ignore[union-attr]
        if w[0] % groups:
            raise self.error(f"C_out={w[0]} is not divisible by groups={groups}", "groups")
        bias = self.array("bias").shape  # type: ignore[union-attr]
        if bias not in ((), (1,), (w[0],)):
            raise self.error(f"shape {list(bias)} does not match C_out={w[0]}", "bias")
        shape = self.input_shape or self.expected_input_shape()
        if shape is not None:
            if len(shape) != n + 1:
                raise self.error(f"input must have {n + 1} dims (C, spatial), found {list(shape)}")
            if shape[0] != w[1] * groups:
                raise self.error(
                    f"input has {shape[0]} channels but weight C_in/groups={w[1]} "
                    f"times groups={groups} is {w[1] * groups}",
                    "weight",
                )
            out = self.infer_output_shape(shape)
            if min(out[1:]) < 1:
                raise self.error(
                    f"kernel {list(w[2:])} with this stride/padding/dilation leaves an "
                    f"empty output {list(out)} for input {list(shape)}"
                )


@irdl_op_definition
class Conv1dOp(ConvOp):
    """NIR ``Conv1d``: y = conv1d(x, W, stride, padding, dilation, groups) + b.

    x: (C_in, N), W: (C_out, C_in/groups, K), y: (C_out, N_out).
    """

    name = "nir.conv1d"
    NIR_TYPE: ClassVar = "Conv1d"
    SPATIAL: ClassVar = 1
    traits = NODE_TRAITS
    input_shape_ = opt_prop_def(DenseIntOrFPElementsAttr, prop_name="input_shape")
    weight = prop_def(DenseIntOrFPElementsAttr)
    stride = prop_def(DenseIntOrFPElementsAttr)
    padding = prop_def(DenseIntOrFPElementsAttr | StringAttr)
    dilation = prop_def(DenseIntOrFPElementsAttr)
    groups = prop_def(DenseIntOrFPElementsAttr)
    bias = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class Conv2dOp(ConvOp):
    """NIR ``Conv2d``: y = conv2d(x, W, stride, padding, dilation, groups) + b.

    x: (C_in, H, W), W: (C_out, C_in/groups, kH, kW), y: (C_out, H_out, W_out).
    """

    name = "nir.conv2d"
    NIR_TYPE: ClassVar = "Conv2d"
    SPATIAL: ClassVar = 2
    traits = NODE_TRAITS
    input_shape_ = opt_prop_def(DenseIntOrFPElementsAttr, prop_name="input_shape")
    weight = prop_def(DenseIntOrFPElementsAttr)
    stride = prop_def(DenseIntOrFPElementsAttr)
    padding = prop_def(DenseIntOrFPElementsAttr | StringAttr)
    dilation = prop_def(DenseIntOrFPElementsAttr)
    groups = prop_def(DenseIntOrFPElementsAttr)
    bias = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


class PoolOp(NodeOp):
    """Shared rules of the 2-d pooling ops: x (C, H, W) -> y (C, H_out, W_out)."""

    FIELDS: ClassVar = ("kernel_size", "stride", "padding")

    def infer_output_shape(self, input_shape):
        if input_shape is None or len(input_shape) != 3:
            return None
        k, s, p = (per_dim(self.array(f), 2, 0) for f in self.FIELDS)
        return (input_shape[0], *conv_output(input_shape[1:], k, s, p, (1, 1)))

    def verify_fields(self) -> None:
        for f in self.FIELDS:
            require_int(self, f)
            values = self.array(f)
            if values.size not in (1, 2):  # type: ignore[union-attr]
                raise self.error(f"must have 1 or 2 values, found {values.size}", f)  # type: ignore[union-attr]
        require_positive(self, "kernel_size")
        require_positive(self, "stride")
        require_positive(self, "padding", strict=False)
        shape = self.input_shape
        if shape is not None:
            if len(shape) != 3:
                raise self.error(f"input must be (C, H, W), found {list(shape)}")
            out = self.infer_output_shape(shape)
            if min(out[1:]) < 1:
                raise self.error(f"window leaves an empty output {list(out)}")


@irdl_op_definition
class SumPool2dOp(PoolOp):
    """NIR ``SumPool2d``: y[c,i,j] = sum of x[c] over the window at (i*s, j*s)."""

    name = "nir.sum_pool2d"
    NIR_TYPE: ClassVar = "SumPool2d"
    traits = NODE_TRAITS
    kernel_size = prop_def(DenseIntOrFPElementsAttr)
    stride = prop_def(DenseIntOrFPElementsAttr)
    padding = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class AvgPool2dOp(PoolOp):
    """NIR ``AvgPool2d``: SumPool2d followed by a scale of 1/(k_h*k_w)."""

    name = "nir.avg_pool2d"
    NIR_TYPE: ClassVar = "AvgPool2d"
    traits = NODE_TRAITS
    kernel_size = prop_def(DenseIntOrFPElementsAttr)
    stride = prop_def(DenseIntOrFPElementsAttr)
    padding = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class FlattenOp(NodeOp):
    """NIR ``Flatten``: merge dims start_dim..end_dim of the per-sample shape."""

    name = "nir.flatten"
    NIR_TYPE: ClassVar = "Flatten"
    FIELDS: ClassVar = ("input_type", "start_dim", "end_dim")
    OPTIONAL_FIELDS: ClassVar = frozenset({"input_type"})
    traits = NODE_TRAITS
    input_type = opt_prop_def(DenseIntOrFPElementsAttr)
    start_dim = prop_def(DenseIntOrFPElementsAttr)
    end_dim = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()

    def _dims(self) -> tuple[int, int]:
        return (
            int(self.array("start_dim").reshape(-1)[0]),  # type: ignore[union-attr]
            int(self.array("end_dim").reshape(-1)[0]),  # type: ignore[union-attr]
        )

    def expected_input_shape(self) -> Shape | None:
        declared = self.array("input_type")
        return None if declared is None else tuple(int(d) for d in declared)

    def infer_output_shape(self, input_shape):
        if input_shape is None:
            return None
        try:
            return flatten_output(input_shape, *self._dims())
        except ValueError:
            return None

    def verify_fields(self) -> None:
        for f in self.FIELDS:
            require_int(self, f)
        shape = self.input_shape or self.expected_input_shape()
        if shape is not None:
            try:
                flatten_output(shape, *self._dims())
            except ValueError as e:
                raise self.error(str(e), "start_dim") from None


class ElementwiseOp(NodeOp):
    """Ops whose signal shape is the shape of their parameter arrays."""

    SHAPE_FIELDS: ClassVar[tuple[str, ...]] = ()
    POSITIVE_FIELDS: ClassVar[tuple[str, ...]] = ()
    NONNEGATIVE_FIELDS: ClassVar[tuple[str, ...]] = ()

    def expected_input_shape(self) -> Shape | None:
        return broadcast_shape(self, self.SHAPE_FIELDS or self.FIELDS)

    def verify_fields(self) -> None:
        for f in self.FIELDS:
            require_numeric(self, f)
        for f in self.POSITIVE_FIELDS:
            require_positive(self, f)
        for f in self.NONNEGATIVE_FIELDS:
            require_positive(self, f, strict=False)


@irdl_op_definition
class ScaleOp(ElementwiseOp):
    """NIR ``Scale``: y(t) = s * x(t) (elementwise)."""

    name = "nir.scale"
    NIR_TYPE: ClassVar = "Scale"
    FIELDS: ClassVar = ("scale",)
    traits = NODE_TRAITS
    scale = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class ThresholdOp(ElementwiseOp):
    """NIR ``Threshold``: y(t) = H(x(t) - threshold), H(z) = 1 if z > 0 else 0."""

    name = "nir.threshold"
    NIR_TYPE: ClassVar = "Threshold"
    FIELDS: ClassVar = ("threshold",)
    traits = NODE_TRAITS
    threshold = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class DelayOp(ElementwiseOp):
    """NIR ``Delay``: y(t) = x(t - delay), delay in seconds (>= 0)."""

    name = "nir.delay"
    NIR_TYPE: ClassVar = "Delay"
    FIELDS: ClassVar = ("delay",)
    NONNEGATIVE_FIELDS: ClassVar = ("delay",)
    traits = NODE_TRAITS
    delay = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


# -------------------------------------------------------------------------------------
# neurons (continuous time; spikes are Dirac impulses z(t) of unit area)


@irdl_op_definition
class IOp(ElementwiseOp):
    """NIR ``I`` (integrator): dv/dt = R x(t); outputs v."""

    name = "nir.i"
    NIR_TYPE: ClassVar = "I"
    FIELDS: ClassVar = ("r",)
    traits = NODE_TRAITS
    r = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class IFOp(ElementwiseOp):
    """NIR ``IF``: dv/dt = R x(t); z = 1 and v <- v_reset when v > v_threshold."""

    name = "nir.if"
    NIR_TYPE: ClassVar = "IF"
    FIELDS: ClassVar = ("r", "v_threshold", "v_reset")
    traits = NODE_TRAITS
    r = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class LIOp(ElementwiseOp):
    """NIR ``LI``: tau dv/dt = (v_leak - v) + R x(t); outputs v."""

    name = "nir.li"
    NIR_TYPE: ClassVar = "LI"
    FIELDS: ClassVar = ("tau", "r", "v_leak")
    POSITIVE_FIELDS: ClassVar = ("tau",)
    traits = NODE_TRAITS
    tau = prop_def(DenseIntOrFPElementsAttr)
    r = prop_def(DenseIntOrFPElementsAttr)
    v_leak = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class LIFOp(ElementwiseOp):
    """NIR ``LIF``: tau dv/dt = (v_leak - v) + R x(t); z = 1, v <- v_reset when v > v_threshold."""

    name = "nir.lif"
    NIR_TYPE: ClassVar = "LIF"
    FIELDS: ClassVar = ("tau", "r", "v_leak", "v_threshold", "v_reset")
    POSITIVE_FIELDS: ClassVar = ("tau",)
    traits = NODE_TRAITS
    tau = prop_def(DenseIntOrFPElementsAttr)
    r = prop_def(DenseIntOrFPElementsAttr)
    v_leak = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class CubaLIOp(ElementwiseOp):
    """NIR ``CubaLI``: tau_syn dI/dt = -I + w_in x(t); tau_mem dv/dt = (v_leak - v) + R I; outputs v."""

    name = "nir.cuba_li"
    NIR_TYPE: ClassVar = "CubaLI"
    FIELDS: ClassVar = ("tau_syn", "tau_mem", "r", "v_leak", "w_in")
    POSITIVE_FIELDS: ClassVar = ("tau_syn", "tau_mem")
    traits = NODE_TRAITS
    tau_syn = prop_def(DenseIntOrFPElementsAttr)
    tau_mem = prop_def(DenseIntOrFPElementsAttr)
    r = prop_def(DenseIntOrFPElementsAttr)
    v_leak = prop_def(DenseIntOrFPElementsAttr)
    w_in = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class CubaLIFOp(ElementwiseOp):
    """NIR ``CubaLIF``: CubaLI dynamics; z = 1, v <- v_reset when v > v_threshold."""

    name = "nir.cuba_lif"
    NIR_TYPE: ClassVar = "CubaLIF"
    FIELDS: ClassVar = ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")
    POSITIVE_FIELDS: ClassVar = ("tau_syn", "tau_mem")
    traits = NODE_TRAITS
    tau_syn = prop_def(DenseIntOrFPElementsAttr)
    tau_mem = prop_def(DenseIntOrFPElementsAttr)
    r = prop_def(DenseIntOrFPElementsAttr)
    v_leak = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    w_in = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


NODE_OPS: tuple[type[NodeOp], ...] = (
    InputOp, OutputOp, AffineOp, LinearOp, Conv1dOp, Conv2dOp, ScaleOp, ThresholdOp,
    FlattenOp, SumPool2dOp, AvgPool2dOp, DelayOp, LIOp, LIFOp, CubaLIOp, CubaLIFOp,
    IOp, IFOp,
)  # fmt: skip
OP_FOR_NIR_TYPE: dict[str, type[NodeOp]] = {op.NIR_TYPE: op for op in NODE_OPS}

from .nir_graph import GraphOp  # noqa: E402  (GraphOp refers to the node ops)

NIR = Dialect("nir", [*NODE_OPS, GraphOp], [])
