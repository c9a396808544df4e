"""Shared pieces of the op schemas: parameter builders and the inference view.

Every op module builds its schemas with these helpers, so that a default is
written once, next to its attribute's name, and every inference function reads
attributes with those same defaults filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

import onnx
from onnx import helper
from onnx.defs import OpSchema
from onnx.shape_inference import InferenceError

DOMAIN = "ort_roi"
VERSION = 1

# The element types every execution provider we build has kernels for.
T_TYPES = ("tensor(float)", "tensor(double)", "tensor(float16)")
T_CONSTRAINT = ("T", list(T_TYPES), "Float tensors: float, double or float16.")
INT64 = "tensor(int64)"

Attr = OpSchema.AttrType
Dim = Union[int, str, None]  # known size, symbolic name, or unknown


# ---------------------------------------------------------------- building


def tensor(name: str, type_str: str, doc: str) -> OpSchema.FormalParameter:
    return OpSchema.FormalParameter(name, type_str, doc)


def optional_tensor(name: str, type_str: str, doc: str) -> OpSchema.FormalParameter:
    return OpSchema.FormalParameter(
        name, type_str, doc, param_option=OpSchema.FormalParameterOption.Optional
    )


def variadic_tensor(name: str, type_str: str, doc: str) -> OpSchema.FormalParameter:
    return OpSchema.FormalParameter(
        name,
        type_str,
        doc,
        param_option=OpSchema.FormalParameterOption.Variadic,
        is_homogeneous=True,
        min_arity=1,
    )


def required(name: str, attr_type: OpSchema.AttrType, doc: str) -> OpSchema.Attribute:
    return OpSchema.Attribute(name, attr_type, doc, required=True)


def optional(name: str, attr_type: OpSchema.AttrType, doc: str) -> OpSchema.Attribute:
    """An attribute whose absence the inference function resolves itself."""
    return OpSchema.Attribute(name, attr_type, doc, required=False)


def default(name: str, value: object, doc: str) -> OpSchema.Attribute:
    # onnx takes the default as an AttributeProto; its type follows the value.
    return OpSchema.Attribute(name, helper.make_attribute(name, value), doc)


def make_schema(
    name: str,
    doc: str,
    *,
    inputs: Sequence[OpSchema.FormalParameter],
    outputs: Sequence[OpSchema.FormalParameter],
    attributes: Sequence[OpSchema.Attribute],
    infer: Callable[[Node], None],
) -> OpSchema:
    schema = OpSchema(
        name,
        DOMAIN,
        VERSION,
        doc,
        inputs=list(inputs),
        outputs=list(outputs),
        type_constraints=[T_CONSTRAINT],
        attributes=list(attributes),
    )
    schema.set_type_and_shape_inference_function(lambda ctx: infer(Node(ctx, schema)))
    return schema


# ---------------------------------------------------------------- inferring


class Node:
    """One node as its inference function sees it.

    Attributes come back with the schema's defaults filled in; input shapes
    come back as tuples of Dim, or None when the rank is unknown. Errors are
    raised as onnx's InferenceError and always name the op.
    """

    def __init__(self, ctx: onnx.shape_inference.InferenceContext, schema: OpSchema):
        self._ctx = ctx
        self._schema = schema
        self.op = schema.name

    def fail(self, message: str) -> None:
        raise InferenceError(f"{self.op}: {message}")

    def attr(self, name: str) -> object:
        """The attribute's value, its default, or None when it has neither."""
        proto = self._ctx.get_attribute(name)
        if proto is not None:
            return helper.get_attribute_value(proto)
        spec = self._schema.attributes[name]
        if spec.required:
            self.fail(f"attribute '{name}' is required")
        fallback = spec.default_value
        if fallback.type == onnx.AttributeProto.UNDEFINED:
            return None
        return helper.get_attribute_value(fallback)

    def positive_attr(self, name: str) -> int:
        value = self.attr(name)
        if value <= 0:
            self.fail(f"attribute '{name}' must be positive, got {value}")
        return value

    @property
    def num_inputs(self) -> int:
        return self._ctx.get_num_inputs()

    def _tensor_type(self, index: int) -> onnx.TypeProto.Tensor | None:
        if index >= self.num_inputs or not self._ctx.has_input(index):
            return None
        type_proto = self._ctx.get_input_type(index)
        if type_proto is None or not type_proto.HasField("tensor_type"):
            return None
        return type_proto.tensor_type

    def elem_type(self, *indices: int) -> int:
        """The element type of the first of these inputs that has one, else 0."""
        for index in indices:
            tensor_type = self._tensor_type(index)
            if tensor_type is not None and tensor_type.elem_type:
                return tensor_type.elem_type
        return onnx.TensorProto.UNDEFINED

    def shape(self, index: int, name: str, rank: int) -> tuple[Dim, ...]:
        """The input's dims, all unknown when its shape is; fails on a wrong rank."""
        tensor_type = self._tensor_type(index)
        if tensor_type is None or not tensor_type.HasField("shape"):
            return (None,) * rank
        dims = tuple(_dim(d) for d in tensor_type.shape.dim)
        if len(dims) != rank:
            self.fail(f"input '{name}' must have rank {rank}, got rank {len(dims)}")
        return dims

    def merge(self, what: str, *dims: Dim) -> Dim:
        """One dim from several that the contract says are equal.

        A known size wins over a symbolic one, a symbolic one over none; two
        different known sizes are a malformed graph.
        """
        known = {d for d in dims if isinstance(d, int)}
        if len(known) > 1:
            self.fail(f"{what} disagree: {sorted(known)}")
        if known:
            return known.pop()
        return next((d for d in dims if d is not None), None)

    def set_output(self, index: int, elem_type: int, dims: Sequence[Dim]) -> None:
        # Without an element type there is no valid tensor type to state.
        if elem_type == onnx.TensorProto.UNDEFINED:
            return
        self._ctx.set_output_type(index, helper.make_tensor_type_proto(elem_type, list(dims)))


def _dim(d: onnx.TensorShapeProto.Dimension) -> Dim:
    if d.HasField("dim_value"):
        return d.dim_value
    if d.HasField("dim_param"):
        return d.dim_param
    return None


def check_last_dim(node: Node, name: str, dims: tuple[Dim, ...], size: int) -> None:
    if isinstance(dims[-1], int) and dims[-1] != size:
        node.fail(f"input '{name}' must have {size} columns, got {dims[-1]}")
