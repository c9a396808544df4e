"""NMS and BatchedNMS: indices of the boxes that survive, in score order."""

from __future__ import annotations

from onnx import TensorProto

from ._common import INT64, Attr, Node, check_last_dim, default, make_schema, required, tensor

_BOXES = tensor("boxes", "T", "Boxes, shape [N, 4]: rows (x1, y1, x2, y2).")
_SCORES = tensor("scores", "T", "Score of each box, shape [N].")
_IDXS = tensor(
    "idxs", INT64, "Class of each box, shape [N]; boxes of two classes never suppress each other."
)
_KEEP = tensor("keep", INT64, "Indices of the kept boxes, shape [M], by decreasing score.")

_IOU_THRESHOLD = required(
    "iou_threshold", Attr.FLOAT, "A box is suppressed when its IoU with a kept box is above this."
)

STRATEGIES = ("torchvision", "coordinate_trick", "per_class")
_STRATEGY = default(
    "strategy", "torchvision",
    "Which rule decides ties and rounding. \"torchvision\": what torchvision.ops.batched_nms "
    "computes eagerly on the device that runs the node: the coordinate trick (boxes offset by "
    "class * (max + 1) in their own type, one stable NMS) while 4 * N is at most that device's "
    "*_trick_max_numel, else one NMS per class merged by torch's unstable sort on score. "
    "\"coordinate_trick\": always the trick, as torchvision computes while tracing or scripting. "
    "\"per_class\": one NMS per class on the boxes as given, merged by decreasing score, equal "
    "scores in index order.")
_CPU_BOUND = default("cpu_trick_max_numel", 4000,
                     "With strategy \"torchvision\" on the CPU: the largest boxes.numel() "
                     "that takes the coordinate trick.")
_CUDA_BOUND = default("cuda_trick_max_numel", 100000,
                      "The same on CUDA.")


def _infer(node: Node) -> None:
    boxes = node.shape(0, "boxes", 2)
    check_last_dim(node, "boxes", boxes, 4)
    per_box = [boxes[0], node.shape(1, "scores", 1)[0]]
    if node.num_inputs > 2:
        per_box.append(node.shape(2, "idxs", 1)[0])
    node.merge("numbers of boxes in the inputs", *per_box)
    node.attr("iou_threshold")  # fails when missing
    if node.num_inputs > 2:
        strategy = node.attr("strategy")
        strategy = strategy.decode() if isinstance(strategy, bytes) else strategy
        if strategy not in STRATEGIES:
            node.fail(f"attribute 'strategy' must be one of {', '.join(STRATEGIES)}; "
                      f"got {strategy!r}")
        for bound in ("cpu_trick_max_numel", "cuda_trick_max_numel"):
            if node.attr(bound) < 0:
                node.fail(f"attribute '{bound}' must be >= 0, got {node.attr(bound)}")
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
    "torchvision.ops.batched_nms: non-maximum suppression within each class, merged by "
    "decreasing score, with torchvision's choice of path and order of ties (see 'strategy').",
    inputs=[_BOXES, _SCORES, _IDXS],
    outputs=[_KEEP],
    attributes=[_IOU_THRESHOLD, _STRATEGY, _CPU_BOUND, _CUDA_BOUND],
    infer=_infer,
)

SCHEMAS = (NMS, BATCHED_NMS)
