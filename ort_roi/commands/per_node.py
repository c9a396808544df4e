"""ort-roi check --per-node: each ort_roi node against its torchvision twin,
on the very inputs the node got in ONNX Runtime.

A copy of the model gets every input and output of its ort_roi nodes as extra
graph outputs and runs once; each node's twin (twins.py) then runs in PyTorch
on those inputs, and its result is compared with the node's output. A node
can be ok while the model's outputs differ from PyTorch's: the difference
then comes from the ONNX nodes around ours (or from the runtime), not from
ours.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

import ort_roi

from .parity import compare, feeds, our_nodes, session, shape_text, table
from .twins import attributes, run_twin, twin_of

# The contract's float16 bound: float16 nodes against torchvision in float32.
FLOAT16_RTOL = 1e-2


def main_graph_nodes(proto: onnx.ModelProto) -> list[onnx.NodeProto]:
    """ort_roi nodes of the main graph, in graph order. Those inside an If or
    Loop body cannot be checked: their values cannot be graph outputs."""
    nodes = [n for n in proto.graph.node if n.domain == ort_roi.DOMAIN]
    if not nodes:
        inside = len(our_nodes(proto))
        where = f" outside subgraphs ({inside} inside If/Loop bodies)" if inside else ""
        raise SystemExit(f"ort-roi: the model has no ort_roi nodes{where} (domain "
                         f"{ort_roi.DOMAIN!r}): there is no node to check against torchvision")
    return nodes


def node_values(proto: onnx.ModelProto, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every input and output of the main graph's ort_roi nodes, by value name,
    from one run of a copy of the model that has them as graph outputs."""
    exposed = onnx.ModelProto()
    exposed.CopyFrom(proto)
    constants = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    known = {o.name for o in proto.graph.output} | set(constants) | set(inputs)
    for node in main_graph_nodes(proto):
        for name in [*node.input, *node.output]:
            if name and name not in known:
                # No type needed: ORT takes it from the node that makes the value.
                exposed.graph.output.append(onnx.ValueInfoProto(name=name))
                known.add(name)
    sess = session(exposed.SerializeToString())
    ran = sess.run(None, feeds(sess, inputs))
    return {**constants, **inputs, **dict(zip([o.name for o in sess.get_outputs()], ran))}


def float_type(node: onnx.NodeProto, values: dict[str, np.ndarray]) -> np.dtype:
    """T of the node: the dtype of its first floating-point input."""
    for name in node.input:
        if name and np.issubdtype(values[name].dtype, np.floating):
            return values[name].dtype
    raise ValueError(f"{node.op_type} node {node.name!r} has no floating-point input")


def report(proto: onnx.ModelProto, values: dict[str, np.ndarray], rtol: float,
           atol: float) -> list[str]:
    """Print one row per main-graph ort_roi node; return the names of those off."""
    nodes = main_graph_nodes(proto)
    rows, off, notes = [], [], []
    for index, node in enumerate(nodes):
        label = node.name or f"#{index}"
        dtype = float_type(node, values)
        node_rtol = max(rtol, FLOAT16_RTOL) if dtype == np.float16 else rtol
        actual = values[node.output[0]]
        try:
            twin_of(node)
            attrs, attr_notes = attributes(node)
            notes += [f"{label}: {n}" for n in attr_notes]
            inputs = [values[name] if name else None for name in node.input]
            expected = run_twin(node, inputs, attrs)
        except Exception as e:  # a twin that cannot run proves nothing: off
            notes.append(f"{label}: the twin failed: {type(e).__name__}: {e}")
            rows.append([node.op_type, label, str(dtype), shape_text(actual.shape),
                         "twin failed", "-", "off"])
            off.append(label)
            continue
        c = compare(label, actual, expected, node_rtol, atol)
        rows.append([node.op_type, label, str(dtype), shape_text(actual.shape), c.error,
                     "-" if c.exact or c.shape != c.expected_shape else f"{c.max_rel:.3g}",
                     "ok" if c.ok else "off"])
        if not c.ok:
            off.append(label)

    print("Per node: each ort_roi node in ONNX Runtime against its torchvision twin "
          "in PyTorch, on the inputs the node got:")
    print(table(rows, ["op", "node", "type", "ort_roi shape", "max abs error",
                       "max rel error", ""]))
    print(f"(tolerance: |ort_roi - twin| <= {atol:g} + {rtol:g} * |twin|; float16 nodes "
          f"rtol {max(rtol, FLOAT16_RTOL):g}, against the twin in float32; indices exact)")
    for line in notes:
        print(f"note: {line}")
    skipped = len(our_nodes(proto)) - len(nodes)
    if skipped:
        print(f"not checked: {_count(skipped, 'ort_roi node')} inside If/Loop bodies, whose "
              "values cannot be graph outputs")
    if off:
        first = next(row for row in rows if row[-1] == "off")
        print(f"first node off, in graph order: {first[0]} {first[1]!r} "
              f"({len(off)} of {_count(len(nodes))} off)")
    else:
        print(f"every ort_roi node matches its torchvision twin ({_count(len(nodes))})")
    return off


def _count(n: int, noun: str = "node") -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
