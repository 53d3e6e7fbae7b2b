"""The machinery shared by every op of the ``nir`` dialect: node name, fields, syntax.

A NIR node is one operation.  Its NIR node name is the ``node_name`` property, its
incoming edges are its operands (several operands mean the sum of those edges), and
its output is its single result, a ``tensor<...xf32>`` of the node's per-sample shape
(NIR has no batch or time axis).  Every NIR field is a property with the field's NIR
name; numeric fields are dense elements attributes holding the exact numpy dtype and
bytes (see ``arrays.py``), strings are string attributes.

Custom syntax (``%r`` and the operand list may be absent)::

    %r = nir.<kind> "<node name>" (%a, %b) {<fields>} : <input type> -> <output type>
    %r = nir.<kind> "<node name>" () {<fields>} : <output type>     // no incoming edge

All operands must have one type (the node's input type), so it is printed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    Float32Type,
    StringAttr,
    TensorType,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser, UnresolvedOperand
from xdsl.printer import Printer
from xdsl.traits import AlwaysSpeculatable, EffectInstance, MemoryEffect, MemoryEffectKind
from xdsl.utils.exceptions import VerifyException

from .arrays import to_numpy

Shape = tuple[int, ...]


def ssa_name_hint(node_name: str) -> str | None:
    """The node name as an SSA name hint (``%fc1``), or None where it is not a valid
    MLIR value name: xDSL's check accepts any Unicode word character (``%sé``), which
    its lexer then rejects, so non-ASCII names get no hint (the ``node_name`` property
    keeps them)."""
    from xdsl.ir import IRWithName

    return node_name if node_name.isascii() and IRWithName.is_valid_name(node_name) else None


def signal_type(shape: Sequence[int]) -> TensorType:
    """The type of an edge carrying a per-sample signal of ``shape`` (float32)."""
    return TensorType(Float32Type(), tuple(int(d) for d in shape))


MAX_ELEMENTS = 2**27
"""nirc's limit on the elements of one signal or one parameter array (1 GiB as
float64): larger sizes are refused before anything is allocated (NIR sets no limit)."""


def check_dims(dims, what: str) -> tuple[int, ...] | str:
    """``dims`` as a shape, or the rule it breaks (every dim >= 1, at most MAX_ELEMENTS
    elements in all): sizes are checked here, before any array of them exists."""
    shape = tuple(int(d) for d in dims)
    if any(d < 1 for d in shape):
        return f"{what} must have dims >= 1, found {list(shape)}"
    size = 1
    for d in shape:
        size *= d  # Python ints: no overflow
    if size > MAX_ELEMENTS:
        return (f"{what} {list(shape)} has {size} elements, more than nirc's limit of "
                f"2**27 = {MAX_ELEMENTS}")
    return shape


class NodeError(VerifyException):
    """A rule broken by one NIR node; the message names node, field and rule."""


class NodeOp(IRDLOperation):
    """Base class of the ops that stand for one NIR node (all but ``nir.graph``)."""

    node_name = prop_def(StringAttr)
    inputs = var_operand_def(TensorType)
    metadata = opt_prop_def(DictionaryAttr)

    NIR_TYPE: ClassVar[str] = ""
    """The NIR class name (``type`` in the .nir file) this op stands for."""
    FIELDS: ClassVar[tuple[str, ...]] = ()
    """The NIR fields, in the order of the NIR dataclass."""
    OPTIONAL_FIELDS: ClassVar[frozenset[str]] = frozenset()
    """Fields that a .nir file may omit (absent property = absent field)."""
    HAS_RESULT: ClassVar[bool] = True

    # ---- field access -------------------------------------------------------------
    @property
    def label(self) -> str:
        """How diagnostics name this node: ``'fc1' (Affine)``, ``'sub.lif' (LIF)``."""
        names = [self.node_name.data]
        parent = self.parent_op()
        while parent is not None and isinstance(parent.properties.get("node_name"), StringAttr):
            names.insert(0, parent.properties["node_name"].data)
            parent = parent.parent_op()
        return f"'{'.'.join(names)}' ({self.NIR_TYPE})"

    def field_attr(self, field: str) -> Attribute | None:
        return self.properties.get(field)

    def array(self, field: str) -> np.ndarray | None:
        """A numeric field as a read-only numpy array (None if absent or a string)."""
        attr = self.properties.get(field)
        if isinstance(attr, DenseIntOrFPElementsAttr):
            return to_numpy(attr)
        return None

    def integer(self, field: str) -> int:
        """An integer property (``IntegerAttr``) as a Python int."""
        return self.properties[field].value.data

    def string(self, field: str) -> str | None:
        attr = self.properties.get(field)
        return attr.data if isinstance(attr, StringAttr) else None

    def error(self, message: str, field: str | None = None) -> NodeError:
        where = f"node {self.label}" + (f", field '{field}'" if field else "")
        return NodeError(f"{where}: {message}")

    # ---- shapes -------------------------------------------------------------------
    @property
    def input_shape(self) -> Shape | None:
        """The shape of the incoming signal (None if the node has no incoming edge)."""
        if not self.inputs:
            return None
        return tuple(self.inputs[0].type.get_shape())

    @property
    def output_shape(self) -> Shape:
        assert self.HAS_RESULT
        return tuple(self.results[0].type.get_shape())

    def expected_input_shape(self) -> Shape | None:
        """The input shape that the node's parameters imply, if they fix one."""
        return None

    def infer_output_shape(self, input_shape: Shape | None) -> Shape | None:
        """The output shape for a given input shape (None if it cannot be known)."""
        return input_shape

    # ---- verification -------------------------------------------------------------
    def verify(self, verify_nested_ops: bool = True) -> None:
        """xDSL's own checks (missing or mistyped properties) name the node too."""
        for field in self.FIELDS:
            attr = self.properties.get(field)
            if attr is None and field not in self.OPTIONAL_FIELDS:
                raise self.error("required field is missing", field)
            allowed = (DenseIntOrFPElementsAttr, StringAttr) if field == "padding" else DenseIntOrFPElementsAttr
            if attr is not None and not isinstance(attr, allowed):
                raise self.error(f"must be a numeric array (dense<...>), found {attr}", field)
        try:
            super().verify(verify_nested_ops)
        except NodeError:
            raise
        except VerifyException as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise self.error(first) from None

    def verify_(self) -> None:
        if not self.node_name.data:
            raise VerifyException(f"{self.name}: the NIR node name must not be empty")
        for field in self.FIELDS:
            attr = self.properties.get(field)
            if attr is None:
                if field not in self.OPTIONAL_FIELDS:
                    raise self.error("required field is missing", field)
                continue
            if isinstance(attr, DenseIntOrFPElementsAttr):
                values = to_numpy(attr)
                if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
                    bad = values.flat[np.flatnonzero(~np.isfinite(values))[0]]
                    raise self.error(f"all values must be finite, found {bad}", field)
        types = {o.type for o in self.inputs}
        if len(types) > 1:
            raise self.error(
                "all incoming edges must have one shape (they are summed), found "
                + ", ".join(sorted(str(t) for t in types))
            )
        in_shape = self.input_shape
        want = self.expected_input_shape()
        if in_shape is not None and want is not None and in_shape != want:
            raise self.error(
                f"input shape {list(in_shape)} does not match the shape "
                f"{list(want)} its parameters imply"
            )
        self.verify_fields()
        for value in (*self.inputs, *self.results):
            rule = check_dims(value.type.get_shape(), "the signal shape")
            if isinstance(rule, str):
                raise self.error(rule)
        if self.HAS_RESULT:
            got = self.infer_output_shape(in_shape if in_shape is not None else want)
            if got is not None and tuple(got) != self.output_shape:
                raise self.error(
                    f"output shape {list(self.output_shape)} does not match the "
                    f"shape {list(got)} computed from its input and parameters"
                )

    def verify_fields(self) -> None:
        """Per-node rules on the parameters (shapes, signs, geometry)."""

    # ---- syntax -------------------------------------------------------------------
    def field_properties_for_printing(self) -> dict[str, Attribute]:
        return {k: v for k, v in self.properties.items() if k != "node_name"}

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_string_literal(self.node_name.data)
        if self.inputs or not isinstance(self, NoInputByDefault):
            printer.print_string(" (")
            printer.print_list(self.inputs, printer.print_operand)
            printer.print_string(")")
        props = self.field_properties_for_printing()
        if props:
            printer.print_string(" ")
            printer.print_attr_dict(props)
        if self.attributes:
            printer.print_string(" attributes ")
            printer.print_attr_dict(self.attributes)
        printer.print_string(" : ")
        if self.inputs:
            printer.print_attribute(self.inputs[0].type)
            if self.HAS_RESULT:
                printer.print_string(" -> ")
        if self.HAS_RESULT:
            printer.print_attribute(self.results[0].type)
        elif not self.inputs:
            printer.print_attribute(self.no_input_type())

    def no_input_type(self) -> Attribute:
        raise NotImplementedError

    @classmethod
    def parse(cls, parser: Parser) -> NodeOp:
        name = parser.parse_str_literal(" (the NIR node name)")
        operands: list[UnresolvedOperand] = []
        if parser.parse_optional_punctuation("(") is not None:
            if parser.parse_optional_punctuation(")") is None:
                operands = parser.parse_comma_separated_list(
                    parser.Delimiter.NONE, parser.parse_unresolved_operand
                )
                parser.parse_punctuation(")")
        props = parser.parse_optional_attr_dict()
        attrs = parser.parse_optional_attr_dict_with_keyword()
        parser.parse_punctuation(":")
        first = parser.parse_type()
        if parser.parse_optional_punctuation("->") is not None:
            if not cls.HAS_RESULT:
                parser.raise_error(f"{cls.name} has no result: write ': <input type>' only")
            in_type, out_type = first, parser.parse_type()
        elif operands or not cls.HAS_RESULT:
            in_type, out_type = first, None
        else:
            in_type, out_type = None, first
        values: list[SSAValue] = []
        if operands:
            if in_type is None:
                parser.raise_error("expected the input type before '->'")
            values = [parser.resolve_operand(o, in_type) for o in operands]
        props = {"node_name": StringAttr(name), **props}
        cls.complete_parsed_properties(props, in_type, out_type)
        return cls.create(
            operands=values,
            result_types=[out_type] if cls.HAS_RESULT else [],
            properties=props,
            attributes=attrs.data if attrs else {},
        )

    @classmethod
    def complete_parsed_properties(
        cls,
        props: dict[str, Attribute],
        in_type: Attribute | None,
        out_type: Attribute | None,
    ) -> None:
        """Fill properties that the custom syntax leaves implicit."""


class NoInputByDefault:
    """Mixin: ops that normally have no incoming edge print no ``()``."""


class NodeEffects(MemoryEffect, AlwaysSpeculatable):
    """A node computes its result from its operands and nothing else (MLIR's ``Pure``),
    except that a node whose result is the result of the region op that holds it
    (the neuron of an ``snn.layer``: the layer's output is that node's output, with no
    terminator naming it) is observable: it reports a write effect, so xDSL's ``dce``
    and ``canonicalize`` (``would_be_trivially_dead``) keep it, and with it every node
    inside the region that feeds it.

    A region op opts in with a method ``yields(op) -> bool``.
    """

    _WRITE = frozenset((EffectInstance(MemoryEffectKind.WRITE),))

    @classmethod
    def get_effects(cls, op: Operation) -> AbstractSet[EffectInstance]:
        holder = op.parent_op()
        yields = getattr(holder, "yields", None)
        if yields is not None and yields(op):
            return cls._WRITE
        return frozenset()


NODE_TRAITS = traits_def(NodeEffects())


def node_result():
    return result_def(TensorType)
