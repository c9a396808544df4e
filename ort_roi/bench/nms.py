"""NMS and BatchedNMS (80 classes) at 1,000, 5,000 and 20,000 boxes, IoU 0.5.

ONNX Runtime's and OpenVINO's NonMaxSuppression take a score per (class, box)
and give (batch, class, box) triplets; they are fed the layout they want (a
class's score row holds its own boxes' scores, zeros elsewhere, and a score
threshold just above zero); their kept boxes are compared with torchvision's
as sets, since equal scores may leave them in another order.
"""

from __future__ import annotations

import numpy as np
import torchvision
from onnx import TensorProto

from .case import Case, Peer, Spec, same_indices, same_set
from .inputs import boxes_and_scores

QUICK_BOXES = {1000: 50, 5000: 100, 20000: 200}
IOU = 0.5


def _in_score_order(scores: np.ndarray):
    """A peer's triplets as torchvision's keep: box indices by decreasing score."""
    def convert(outputs: list) -> list:
        keep = outputs[0][:, 2]
        return [keep[np.argsort(-scores[keep], kind="stable")]]
    return convert


def nms(n: int, classes: int):
    def build(rt, quick) -> Case:
        boxes_n = QUICK_BOXES[n] if quick else n
        k = min(classes, 4) if quick else classes
        rng = np.random.default_rng(n + classes)
        boxes, scores = boxes_and_scores(rng, boxes_n)
        idxs = rng.integers(0, k, boxes_n).astype(np.int64)
        if classes == 1:
            per_class, threshold, limit = scores[None, None], -1.0, boxes_n
        else:
            per_class = np.zeros((1, k, boxes_n), np.float32)
            per_class[0, idxs, np.arange(boxes_n)] = scores
            # zeros are other classes' boxes: a threshold above 0 leaves each class its own
            threshold, limit = 1e-12, int(np.bincount(idxs).max())
        peer_feeds = {"b": boxes[None], "s": per_class, "m": np.array([limit], np.int64),
                      "t": np.array([IOU], np.float32), "st": np.array([threshold], np.float32)}

        def openvino():
            _, ops = rt.openvino()
            B = ops.parameter(peer_feeds["b"].shape, np.float32, name="b")
            S = ops.parameter(per_class.shape, np.float32, name="s")
            node = ops.non_max_suppression(
                B, S, ops.constant(peer_feeds["m"]), ops.constant(peer_feeds["t"]),
                ops.constant(peer_feeds["st"]), sort_result_descending=True, output_type="i64")
            return rt.openvino_run(rt.openvino_model([node.output(0)], [B, S]),
                                   {"b": peer_feeds["b"], "s": per_class})

        t_boxes, t_scores, t_idxs = rt.tensors(boxes, scores, idxs)
        if classes == 1:
            ours = rt.ours("NMS", {"boxes": boxes, "scores": scores}, TensorProto.INT64,
                           iou_threshold=IOU)
            reference = rt.torch(torchvision.ops.nms, t_boxes, t_scores, IOU)
            shape = f"{boxes_n:,} boxes, IoU {IOU}"
        else:
            ours = rt.ours("BatchedNMS", {"boxes": boxes, "scores": scores, "idxs": idxs},
                           TensorProto.INT64, iou_threshold=IOU)
            reference = rt.torch(torchvision.ops.batched_nms, t_boxes, t_scores, t_idxs, IOU)
            shape = f"{boxes_n:,} boxes, {k} classes, IoU {IOU}"
        convert = _in_score_order(scores)
        return Case(
            shape=shape, ours=ours, reference=reference, check=same_indices,
            peers=[Peer("onnxruntime", "NonMaxSuppression", lambda: rt.ort_builtin(
                        "NonMaxSuppression", peer_feeds, TensorProto.INT64), convert,
                        check=same_set),
                   Peer("openvino", "NonMaxSuppression", openvino, convert, check=same_set)])
    return build


SPECS = [Spec(f"nms_{n // 1000}k", "NMS", nms(n, 1)) for n in (1000, 5000, 20000)]
SPECS += [Spec(f"batched_nms_{n // 1000}k", "BatchedNMS", nms(n, 80))
          for n in (1000, 5000, 20000)]
