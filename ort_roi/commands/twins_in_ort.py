"""ort-roi check --twins: the whole model in one ONNX Runtime session with each
ort_roi node replaced by its torchvision twin, against the model as it is.

Each twin runs as an onnxruntime-extensions Python op (domain
ai.onnx.contrib); ort_roi's library and onnxruntime-extensions' are
registered on the same SessionOptions. Everything else in the graph runs
as before, so the outputs differ only by what our nodes compute.

onnxruntime-extensions' Python ops are registered process-wide, with fixed
input and output types and no list attributes; so each node gets an op of
its own (its name, attributes and input types bound in a closure), made once
per process. They take no float16 (the process aborts): float16 values go
through Cast to float32 and back around the op. An exception raised in one
aborts the process too: the op records it and returns an empty output.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

import ort_roi

from .detections import describe, pair_near_ties
from .parity import compare, feeds, shape_text, table
from .per_node import FLOAT16_RTOL, float_type, main_graph_nodes
from .twins import attributes, run_twin, twin_of

try:
    from onnxruntime_extensions import PyCustomOpDef, get_library_path, onnx_op
except ImportError as e:
    raise SystemExit("ort-roi: check --twins needs onnxruntime-extensions "
                     f"(pip install onnxruntime-extensions, or the export extra): {e}") from e

CONTRIB = "ai.onnx.contrib"
_EXTENSION_TYPES = {np.dtype(np.float32): PyCustomOpDef.dt_float,
                    np.dtype(np.float64): PyCustomOpDef.dt_double,
                    np.dtype(np.int64): PyCustomOpDef.dt_int64}
_registered: dict[tuple, str] = {}  # what a node's op computes -> its op type
_errors: list[str] = []             # twins that raised during the current run


def _extension_type(dtype: np.dtype, label: str) -> int:
    dtype = np.dtype(np.float32) if dtype == np.float16 else dtype  # Cast around the op
    if dtype not in _EXTENSION_TYPES:
        raise SystemExit(f"ort-roi: {label} has a {dtype} value, which onnxruntime-extensions' "
                         "Python ops do not take")
    return _EXTENSION_TYPES[dtype]


def _twin_op(node: onnx.NodeProto, types: list[np.dtype]) -> str:
    """The op type of a Python op computing the node's twin on inputs of these
    dtypes (the node's present inputs, float16 arriving as float32)."""
    attrs, _ = attributes(node)
    key = (node.op_type, node.name, repr(sorted(attrs.items())), tuple(map(str, types)),
           tuple(bool(name) for name in node.input))
    if key in _registered:
        return _registered[key]
    own = onnx.NodeProto()  # the op outlives the model it came from
    own.CopyFrom(node)
    twin = twin_of(own)
    present = [i for i, name in enumerate(own.input) if name]
    floating = next(t for t in types if np.issubdtype(t, np.floating))
    out_type = (np.dtype(np.int64) if twin.index_output
                else np.dtype(np.float32) if floating == np.float16 else floating)
    label = f"{own.op_type} {own.name!r}"

    def body(*arrays):
        try:
            inputs = [None] * len(own.input)
            for position, array, dtype in zip(present, arrays, types):
                inputs[position] = array.astype(dtype, copy=False)
            return run_twin(own, inputs, attrs).astype(out_type, copy=False)
        except Exception as e:  # raised here, it would abort the process
            _errors.append(f"{label}: {type(e).__name__}: {e}")
            return np.zeros(0, out_type)

    op_type = f"{own.op_type}Twin{len(_registered)}"
    onnx_op(op_type=op_type, inputs=[_extension_type(t, label) for t in types],
            outputs=[_extension_type(out_type, label)])(body)
    _registered[key] = op_type
    return op_type


def with_twins(proto: onnx.ModelProto, values: dict[str, np.ndarray]) -> onnx.ModelProto:
    """A copy of the model whose main-graph ort_roi nodes are their twins'
    Python ops; `values` (per_node.node_values) gives each input's dtype."""
    model = onnx.ModelProto()
    model.CopyFrom(proto)
    nodes = list(model.graph.node)
    del model.graph.node[:]
    for index, node in enumerate(nodes):
        if node.domain != ort_roi.DOMAIN:
            model.graph.node.append(node)
            continue
        tag = f"twin{index}"  # new value names unique to this node
        inputs, types = [], []
        for name in filter(None, node.input):
            types.append(values[name].dtype)
            if values[name].dtype == np.float16:
                model.graph.node.append(helper.make_node(
                    "Cast", [name], [f"{name}/{tag}/float32"], to=onnx.TensorProto.FLOAT))
                name = f"{name}/{tag}/float32"
            inputs.append(name)
        output = node.output[0]
        half = values[output].dtype == np.float16
        made = f"{output}/{tag}/float32" if half else output
        model.graph.node.append(helper.make_node(
            _twin_op(node, types), inputs, [made], name=f"{node.name}/{tag}", domain=CONTRIB))
        if half:
            model.graph.node.append(helper.make_node(
                "Cast", [made], [output], to=onnx.TensorProto.FLOAT16))
    model.opset_import.append(helper.make_opsetid(CONTRIB, 1))
    return model


def run_with_twins(proto: onnx.ModelProto, values: dict[str, np.ndarray],
                   inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The model's outputs with twins in place of our nodes, in one session
    that has both ort_roi's library and onnxruntime-extensions' registered."""
    # First the Python ops, then the library: registering it hands ORT pointers
    # into onnxruntime-extensions' list of Python ops, which adding one moves
    # (a session made the other way round crashes).
    model = with_twins(proto, values).SerializeToString()
    options = ort.SessionOptions()
    options.log_severity_level = 3  # shape-inference warnings on data-dependent outputs
    ort_roi.register(options)  # ort_roi nodes inside If/Loop bodies stay ours
    options.register_custom_ops_library(get_library_path())
    sess = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    _errors.clear()
    try:
        outputs = sess.run(None, feeds(sess, inputs))
    except Exception as e:
        if not _errors:
            raise SystemExit(f"ort-roi: the model with twins failed in ONNX Runtime: {e}") from e
        outputs = None
    if _errors:
        raise SystemExit("ort-roi: a twin failed in ONNX Runtime:\n  " + "\n  ".join(_errors))
    return outputs


def report(proto: onnx.ModelProto, values: dict[str, np.ndarray], inputs: dict[str, np.ndarray],
           names: list[str], ours: list[np.ndarray], rtol: float, atol: float) -> list[str]:
    """Print the model's outputs with our nodes against those with their
    twins; return the names of the outputs that differ."""
    nodes = main_graph_nodes(proto)
    twins = run_with_twins(proto, values, inputs)
    if any(float_type(n, values) == np.float16 for n in nodes):
        rtol = max(rtol, FLOAT16_RTOL)
    ours, moved = pair_near_ties(names, ours, twins, rtol, atol)
    results = [compare(n, a, e, rtol, atol) for n, a, e in zip(names, ours, twins)]
    rows = [[r.name, shape_text(r.shape), r.error,
             "-" if r.exact or r.shape != r.expected_shape else f"{r.max_rel:.3g}",
             "ok" if r.ok else "DIFFERENT"] for r in results]
    print(f"Twins in ONNX Runtime: the model's outputs with its ort_roi nodes ({len(nodes)}) "
          "against the same session's outputs with each replaced by its torchvision twin:")
    print(table(rows, ["output", "ort_roi shape", "max abs error", "max rel error", ""]))
    print(f"(tolerance: |ort_roi - twins| <= {atol:g} + {rtol:g} * |twins|; integer "
          "outputs exact)")
    for line in describe(moved):
        print(line)
    different = [r.name for r in results if not r.ok]
    print(f"the twins change {', '.join(different)}" if different
          else "the twins give the same outputs")
    return different
