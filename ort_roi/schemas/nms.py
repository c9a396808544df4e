"""NMS and BatchedNMS: indices of the boxes that survive, in score order."""

from __future__ import annotations

from onnx import TensorProto

from ._common import INT64, Attr, Node, check_last_dim, make_schema, required, tensor

_BOXES = tensor("boxes", "T", "Boxes, shape [N, 4]: rows (x1, y1, x2, y2).")
_SCORES = tensor("scores", "T", "Score of each box, shape [N].")
_IDXS = tensor(
    "idxs", INT64, "Class of each box, shape [N]; boxes of two classes never suppress each other."
)
_KEEP = tensor("keep", INT64, "Indices of the kept boxes, shape [M], by decreasing score.")

_IOU_THRESHOLD = required(
    "iou_threshold", Attr.FLOAT, "A box is suppressed when its IoU with a kept box is above this."
)


def _infer(node: Node) -> None:
    boxes = node.shape(0, "boxes", 2)
    check_last_dim(node, "boxes", boxes, 4)
    per_box = [boxes[0], node.shape(1, "scores", 1)[0]]
    if node.num_inputs > 2:
        per_box.append(node.shape(2, "idxs", 1)[0])
    node.merge("numbers of boxes in the inputs", *per_box)
    node.attr("iou_threshold")  # fails when missing
    # How many boxes survive depends on the values, never on the shapes.
    node.set_output(0, TensorProto.INT64, [None])


NMS = make_schema(
    "NMS",
    "torchvision.ops.nms: greedy non-maximum suppression over all boxes.",
    inputs=[_BOXES, _SCORES],
    outputs=[_KEEP],
    attributes=[_IOU_THRESHOLD],
    infer=_infer,
)

BATCHED_NMS = make_schema(
    "BatchedNMS",
    "torchvision.ops.batched_nms: exact non-maximum suppression within each class, "
    "merged by decreasing score.",
    inputs=[_BOXES, _SCORES, _IDXS],
    outputs=[_KEEP],
    attributes=[_IOU_THRESHOLD],
    infer=_infer,
)

SCHEMAS = (NMS, BATCHED_NMS)
