"""Looking inside an exported detector: a node's inputs and outputs, or the
graph with one module's outputs fed from outside.

Both exporters say which module a node came from: TorchScript in the node's
name ("/backbone/body/layer1/..."), torch.export in the node's metadata
("pkg.torch.onnx.name_scopes", a list ending in the module path).
"""

from __future__ import annotations

import ast

import numpy as np
import onnx
import onnxruntime as ort

import ort_roi

SCOPES_KEY = "pkg.torch.onnx.name_scopes"


def in_module(node: onnx.NodeProto, module: str) -> bool:
    """Whether the node computes part of the module at path `module` ("backbone")."""
    if node.name.startswith(f"/{module.replace('.', '/')}/"):
        return True
    scopes = next((p.value for p in node.metadata_props if p.key == SCOPES_KEY), None)
    return scopes is not None and module in ast.literal_eval(scopes)


def session(proto: onnx.ModelProto) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    if any(o.domain == ort_roi.DOMAIN for o in proto.opset_import):
        return ort_roi.InferenceSession(proto.SerializeToString(), so)
    return ort.InferenceSession(proto.SerializeToString(), so)


def with_outputs(proto: onnx.ModelProto, values: list[str]) -> onnx.ModelProto:
    """A copy whose graph also outputs `values` (intermediate values, by name)."""
    probed = onnx.ModelProto()
    probed.CopyFrom(proto)
    known = {o.name for o in probed.graph.output}
    probed.graph.output.extend(onnx.ValueInfoProto(name=v) for v in values if v not in known)
    return probed


def nodes_of_type(proto: onnx.ModelProto, op_type: str) -> list[onnx.NodeProto]:
    """The main graph's nodes of that type (whose values can be probed)."""
    return [n for n in proto.graph.node if n.op_type == op_type]


def op_types(graph: onnx.GraphProto) -> set[str]:
    """Every op type in the graph, in subgraphs (Loop, If bodies) too: the
    TorchScript exporter scripts some of torchvision's functions into them."""
    found = set()
    for node in graph.node:
        found.add(node.op_type)
        for attribute in node.attribute:
            for sub in [attribute.g, *attribute.graphs] if attribute.type in (
                    onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) else []:
                found |= op_types(sub)
    return found


def module_outputs(proto: onnx.ModelProto, module: str) -> list[str]:
    """Values that the module's nodes compute and anything else reads."""
    inside = [n for n in proto.graph.node if in_module(n, module)]
    produced = {o for n in inside for o in n.output}
    read = {i for n in proto.graph.node if not in_module(n, module) for i in n.input}
    read |= {o.name for o in proto.graph.output}
    return [o for n in inside for o in n.output if o in produced & read]


def feeding(proto: onnx.ModelProto, values: dict[str, np.ndarray]) -> onnx.ModelProto:
    """The graph with `values` (intermediate values, by name) as inputs of
    the same names instead of computed: their producers are dropped (the
    rest of the graph stays, dead or not)."""
    fed = onnx.ModelProto()
    fed.CopyFrom(proto)
    kept = [n for n in fed.graph.node if not set(n.output) & set(values)]
    assert len(kept) < len(fed.graph.node), "no node computes these values"
    del fed.graph.node[:]
    fed.graph.node.extend(kept)
    fed.graph.input.extend(onnx.helper.make_tensor_value_info(
        name, onnx.helper.np_dtype_to_tensor_dtype(array.dtype), None)
        for name, array in values.items())
    return fed


def match_by_value(arrays: dict[str, np.ndarray],
                   tensors: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Name each tensor after the array of its shape nearest to it (two maps
    of a pyramid can share a size, never their values); arrays of other
    shapes (sizes, scalars) stay unnamed."""
    paired = {}
    for tensor in tensors:
        same = [name for name, a in arrays.items() if a.shape == tensor.shape]
        assert same, f"no value of shape {tensor.shape}"
        nearest = min(same, key=lambda name: np.abs(arrays[name] - tensor).max())
        assert nearest not in paired, f"{nearest} is nearest to two tensors"
        paired[nearest] = tensor
    return paired
