"""Writes a case for the C++ consumer: a detector's tail as an ONNX model
(ort_roi's NMS picks proposals, ort_roi's RoIAlign pools them), its inputs,
and torchvision's results on the same inputs.

    python examples/cpp_consumer/make_case.py CASE_DIR

gives CASE_DIR/model.onnx, CASE_DIR/inputs/<name>.npy and
CASE_DIR/expected/<name>.npy, the layout ort_roi_consumer reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import torch
import torchvision
from onnx import TensorProto, helper

IOU_THRESHOLD = 0.5
POOLED = 5
SPATIAL_SCALE = 0.25
SAMPLING_RATIO = 2


def model() -> onnx.ModelProto:
    """proposals [K, 5] rows (batch_index, x1, y1, x2, y2) with their scores
    [K]: NMS keeps some, in score order, and RoIAlign pools those."""
    i64 = TensorProto.INT64
    nodes = [
        helper.make_node("Slice", ["proposals", "box_start", "box_end", "box_axis"], ["boxes"]),
        helper.make_node("NMS", ["boxes", "scores"], ["keep"], domain="ort_roi",
                         iou_threshold=IOU_THRESHOLD),
        helper.make_node("Gather", ["proposals", "keep"], ["kept"], axis=0),
        helper.make_node("RoIAlign", ["features", "kept"], ["pooled"], domain="ort_roi",
                         output_height=POOLED, output_width=POOLED, spatial_scale=SPATIAL_SCALE,
                         sampling_ratio=SAMPLING_RATIO, aligned=1),
    ]
    graph = helper.make_graph(
        nodes, "detector_tail",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", "C", "H", "W"]),
         helper.make_tensor_value_info("proposals", TensorProto.FLOAT, ["K", 5]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["K"])],
        [helper.make_tensor_value_info("keep", i64, ["M"]),
         helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["M", "C", POOLED, POOLED])],
        initializer=[helper.make_tensor("box_start", i64, [1], [1]),
                     helper.make_tensor("box_end", i64, [1], [5]),
                     helper.make_tensor("box_axis", i64, [1], [1])])
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ort_roi", 1)],
                              ir_version=8)
    onnx.checker.check_model(built)
    return built


def inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, k, height, width = 2, 40, 32, 40
    xy = rng.uniform(0, 0.5 * width / SPATIAL_SCALE, (k, 2))  # crowded: NMS has work to do
    wh = rng.uniform(8, 0.5 * width / SPATIAL_SCALE, (k, 2))
    proposals = np.concatenate([rng.integers(0, n, (k, 1)), xy, xy + wh], axis=1)
    return {
        "features": rng.standard_normal((n, 16, height, width)).astype(np.float32),
        "proposals": proposals.astype(np.float32),
        "scores": rng.uniform(0, 1, k).astype(np.float32),
    }


def expected(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same computation in torchvision."""
    features, proposals, scores = (torch.from_numpy(feeds[k]) for k in ("features", "proposals", "scores"))
    keep = torchvision.ops.nms(proposals[:, 1:], scores, IOU_THRESHOLD)
    pooled = torchvision.ops.roi_align(features, proposals[keep], (POOLED, POOLED),
                                       spatial_scale=SPATIAL_SCALE, sampling_ratio=SAMPLING_RATIO,
                                       aligned=True)
    return {"keep": keep.numpy(), "pooled": pooled.numpy()}


def write_case(folder: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Writes the case into `folder`; returns torchvision's results."""
    feeds = inputs(seed)
    results = expected(feeds)
    (folder / "inputs").mkdir(parents=True, exist_ok=True)
    (folder / "expected").mkdir(exist_ok=True)
    onnx.save(model(), folder / "model.onnx")
    for sub, arrays in (("inputs", feeds), ("expected", results)):
        for name, array in arrays.items():
            np.save(folder / sub / f"{name}.npy", np.ascontiguousarray(array))
    return results


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    results = write_case(out)
    print(f"{out}: NMS keeps {len(results['keep'])} of 40 proposals; "
          f"torchvision's pooled features {tuple(results['pooled'].shape)}")
