"""ort-roi info: library path, versions, ops and providers (no torch)."""

from __future__ import annotations

import json


def _has_kernel(schema) -> bool:
    """Whether the library registers a kernel for the op: a session over a
    one-node model of it only builds if ORT finds one."""
    import onnxruntime
    from onnx import TensorProto, helper

    import ort_roi

    inputs = [p.name for p in schema.inputs]
    node = helper.make_node(schema.name, inputs, [p.name for p in schema.outputs],
                            domain=ort_roi.DOMAIN)
    graph = helper.make_graph(
        [node], "probe",
        [helper.make_tensor_value_info(n, TensorProto.INT64 if n == "idxs" else TensorProto.FLOAT,
                                       None) for n in inputs],
        [helper.make_tensor_value_info(p.name, TensorProto.INT64 if p.name == "keep" else TensorProto.FLOAT,
                                       None) for p in schema.outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid(ort_roi.DOMAIN, 1)],
                              ir_version=8)
    so = onnxruntime.SessionOptions()
    so.log_severity_level = 4
    try:
        ort_roi.InferenceSession(model.SerializeToString(), so)
    except Exception as e:  # noqa: BLE001
        # A kernel that exists may still refuse the probe (a required
        # attribute is missing); only ORT's "no such op" means not built.
        msg = str(e)
        return "is not a registered function/op" not in msg and "Could not find an implementation" not in msg
    return True


def run(_args) -> int:
    import onnxruntime

    import ort_roi
    from ort_roi import schemas

    print(json.dumps({
        "ort_roi": ort_roi.__version__,
        "library": ort_roi.get_library_path(),
        "onnxruntime": onnxruntime.__version__,
        "domain": ort_roi.DOMAIN,
        "providers": ort_roi.providers(),
        "schemas": [s.name for s in schemas.SCHEMAS],
        "ops_built": [s.name for s in schemas.SCHEMAS if _has_kernel(s)],
    }, indent=2))
    return 0
