"""NMS and BatchedNMS on CUDAExecutionProvider (needs a GPU, onnxruntime-gpu
and a CUDA build of torch; not collected by `pytest tests`).

What the CPU suite cannot test: cub's sort, the launches, the scratch from
ORT's allocator, the one wait per call. Compared with our CPU kernels (the
same contract: exact), and with torchvision's CUDA ops where their IoU
arithmetic cannot differ from the CPU's (boxes in general position), and
for BatchedNMS's merge order, which is torch's CUDA sort."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from onnx import TensorProto  # noqa: E402

import ort_roi  # noqa: E402
from support import DTYPES, one_node_model, random_boxes  # noqa: E402
from test_batched_nms import EDGE_CASES as BATCHED_EDGE_CASES  # noqa: E402
from test_batched_nms import STRATEGIES, tied  # noqa: E402
from test_batched_nms import arrays as batched_arrays  # noqa: E402
from test_batched_nms import ours as batched_on_cpu  # noqa: E402
from test_nms import EDGE_CASES, NAN_CASES, arrays  # noqa: E402
from test_nms import ours as nms_on_cpu  # noqa: E402

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)


def on_cuda(op, inputs, **attrs):
    so = ort.SessionOptions()
    so.log_severity_level = 4
    # Fail rather than quietly run the node on the CPU.
    so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    sess = ort_roi.InferenceSession(one_node_model(op, inputs, out_type=TensorProto.INT64, **attrs),
                                    so, providers=["CUDAExecutionProvider"])
    return sess.run(None, inputs)[0]


def nms_cuda(boxes, scores, threshold):
    return on_cuda("NMS", {"boxes": boxes, "scores": scores}, iou_threshold=threshold)


def batched_cuda(boxes, scores, idxs, threshold, **attrs):
    return on_cuda("BatchedNMS", {"boxes": boxes, "scores": scores, "idxs": idxs},
                   iou_threshold=threshold, **attrs)


def to_cuda(*arrays):
    return [torch.from_numpy(a).cuda() for a in arrays]


def test_the_library_has_cuda_kernels():
    assert "CUDAExecutionProvider" in ort_roi.providers()
    assert "CUDAExecutionProvider" in ort.get_available_providers()


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("case", EDGE_CASES + NAN_CASES, ids=[c[0] for c in EDGE_CASES + NAN_CASES])
def test_nms_equals_the_cpu_kernel(case, dtype):
    _, rows, scores, threshold = case
    boxes, scores = arrays(rows, scores, dtype)
    np.testing.assert_array_equal(nms_cuda(boxes, scores, threshold),
                                  nms_on_cpu(boxes, scores, threshold))


@pytest.mark.parametrize("n", [1, 63, 64, 65, 1000, 30_000])  # 30,000: two mask chunks
@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_nms_random_equals_the_cpu_kernel_and_torchvision_cuda(dtype, n):
    rng = np.random.default_rng(n)
    boxes = random_boxes(rng, n, 20 + n ** 0.5 * 10, dtype)
    scores = rng.choice(np.linspace(0, 1, 50), n).astype(dtype)  # ties in plenty
    keep = nms_cuda(boxes, scores, 0.5)
    np.testing.assert_array_equal(keep, nms_on_cpu(boxes, scores, 0.5))
    # Boxes in general position: torchvision's CUDA IoU rounds differently,
    # but not across 0.5 here; its sort is stable, as ours. float16 is
    # computed in float32 on the rounded values, on every EP (DESIGN.md);
    # torchvision's CUDA kernel subtracts float16 coordinates in float16.
    theirs = [a.astype(np.float32) if a.dtype == np.float16 else a for a in (boxes, scores)]
    np.testing.assert_array_equal(keep, torchvision.ops.nms(*to_cuda(*theirs), 0.5).cpu())


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("case", BATCHED_EDGE_CASES, ids=[c[0] for c in BATCHED_EDGE_CASES])
def test_batched_edge_cases_equal_the_cpu_kernel(case, dtype, strategy):
    _, rows, scores, idxs, threshold = case
    boxes, scores, idxs = batched_arrays(rows, scores, idxs, dtype)
    # Small inputs: "torchvision" takes the trick on both devices.
    np.testing.assert_array_equal(batched_cuda(boxes, scores, idxs, threshold, strategy=strategy),
                                  batched_on_cpu(boxes, scores, idxs, threshold, strategy=strategy))


@pytest.mark.parametrize("ties", ["all", "two"])
@pytest.mark.parametrize("n", [10, 1000, 25_000, 25_001, 40_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], **DTYPE_IDS)
def test_batched_equals_torchvision_cuda(dtype, n, ties):
    # Both sides of CUDA's bound (25,000 boxes), all or two distinct scores.
    boxes, scores, idxs = tied(n, 13, dtype, ties)
    keep = batched_cuda(boxes, scores, idxs, 0.5)
    np.testing.assert_array_equal(keep, torchvision.ops.batched_nms(*to_cuda(boxes, scores, idxs),
                                                                    0.5).cpu())
    for strategy in ("coordinate_trick", "per_class"):
        np.testing.assert_array_equal(
            batched_cuda(boxes, scores, idxs, 0.5, strategy=strategy),
            batched_on_cpu(boxes, scores, idxs, 0.5, strategy=strategy))


@pytest.mark.parametrize("kept", [2, 7, 20, 32, 33, 100])
def test_batched_merge_order_of_few_kept_boxes(kept):
    # Above the bound, few boxes kept, all of equal score: torch's CUDA sort
    # orders them (a bitonic network up to 32), and so must we.
    copies = 25_001 // kept + 1
    x = np.repeat(np.arange(kept, dtype=np.float32) * 20, copies)
    boxes = np.stack([x, x * 0, x + 10, x * 0 + 10], axis=1)
    scores = np.full(len(x), 0.5, np.float32)
    idxs = np.repeat(np.arange(kept) % 3, copies)
    keep = batched_cuda(boxes, scores, idxs, 0.5)
    assert len(keep) == kept
    np.testing.assert_array_equal(keep, torchvision.ops.batched_nms(*to_cuda(boxes, scores, idxs),
                                                                    0.5).cpu())


def test_empty_and_repeated_calls():
    boxes, scores = np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    assert nms_cuda(boxes, scores, 0.5).shape == (0,)
    rng = np.random.default_rng(1)
    boxes = random_boxes(rng, 5000, 300, np.float32)
    scores = rng.random(5000).astype(np.float32)
    inputs = {"boxes": boxes, "scores": scores}
    so = ort.SessionOptions()
    so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    sess = ort_roi.InferenceSession(one_node_model("NMS", inputs, out_type=TensorProto.INT64,
                                                   iou_threshold=0.5),
                                    so, providers=["CUDAExecutionProvider"])
    first = sess.run(None, inputs)[0]
    for _ in range(20):
        np.testing.assert_array_equal(sess.run(None, inputs)[0], first)
