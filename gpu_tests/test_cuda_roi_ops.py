"""The single-map roi ops on CUDA: parity with torchvision's CUDA ops and with
our CPU kernels on the CPU suite's cases, placement on the GPU with no copies
around our nodes, repeatability."""

import numpy as np
import pytest
import torch
from onnx import TensorProto, helper

from cuda_support import cuda_session, providers_by_node, run_cuda
from roi_cases import EDGE_CASES, OPS, rois_of
from support import DTYPES, assert_close, random_rois

CUDA_OPS = [op for op in OPS if op.host_grid is not None]  # those with CUDA kernels


def torchvision_cuda(op, x, rois, oh, ow, scale, ratio, aligned):
    tx = torch.from_numpy(x.astype(np.float32) if x.dtype == np.float16 else x).cuda()
    tr = torch.from_numpy(rois.astype(tx.cpu().numpy().dtype)).cuda()
    args = [tx, tr, (oh, ow), scale] + ([ratio] if op.sampling_ratio else []) + \
        ([aligned] if op.aligned else [])
    return op.reference(*args).cpu().numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
@pytest.mark.parametrize("op", CUDA_OPS, ids=str)
def test_matches_torchvision_cuda_and_our_cpu(op, case, dtype):
    _, (n, c, h, w), rows, scale, (oh, ow) = case
    rng = np.random.default_rng(len(rows) + h)
    x = op.feature(rng, n, c, h, w, oh, ow, dtype)
    rois = rois_of(rows, dtype)
    for ratio in op.ratios():
        for aligned in op.alignments():
            y = run_cuda(op.name, {"X": x, "rois": rois}, **op.attrs(oh, ow, scale, ratio, aligned))
            op.assert_matches(y, torchvision_cuda(op, x, rois, oh, ow, scale, ratio, aligned), dtype)
            assert_close(y, op.ours(x, rois, oh, ow, scale, ratio, aligned), dtype)


@pytest.mark.parametrize("op", CUDA_OPS, ids=str)
def test_runs_on_the_gpu_with_no_copies(op):
    # Conv (ORT's CUDA kernel) -> ours -> Relu: everything on the CUDA EP,
    # so ORT inserts no MemcpyToHost/FromHost around our node.
    c = op.channels(4, 2, 2)
    nodes = [helper.make_node("Conv", ["X", "Wt"], ["F"], pads=[1, 1, 1, 1]),
             helper.make_node(op.name, ["F", "rois"], ["P"], domain="ort_roi", name="ours",
                              **op.attrs(2, 2, 1.0, 2, False)),
             helper.make_node("Relu", ["P"], ["Y"])]
    w = helper.make_tensor("Wt", TensorProto.FLOAT, [c, 3, 3, 3],
                           np.random.default_rng(0).standard_normal(c * 27).astype(np.float32))
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3, 16, 16]),
                                       helper.make_tensor_value_info("rois", TensorProto.FLOAT, ["K", 5])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    sess = cuda_session(m.SerializeToString(), profile=True)
    rng = np.random.default_rng(1)
    sess.run(None, {"X": rng.random((1, 3, 16, 16), np.float32),
                    "rois": random_rois(rng, 20, 1, 16, np.float32)})
    ran = providers_by_node(sess)
    assert ran["ours"] == "CUDAExecutionProvider", ran
    assert not [n for n in ran if n.startswith("Memcpy")], ran


@pytest.mark.parametrize("op", CUDA_OPS, ids=str)
def test_a_thousand_runs_are_identical(op):
    rng = np.random.default_rng(2)
    x = op.feature(rng, 2, 16, 40, 40, 3, 3, np.float32)
    rois = random_rois(rng, 100, 2, 40, np.float32)
    model_inputs = {"X": x, "rois": rois}
    from support import one_node_model
    sess = cuda_session(one_node_model(op.name, model_inputs, **op.attrs(3, 3, 1.0, -1, False)))
    first = sess.run(None, model_inputs)[0]
    for _ in range(999):
        np.testing.assert_array_equal(sess.run(None, model_inputs)[0], first)


@pytest.mark.parametrize("op", CUDA_OPS, ids=str)
def test_invalid_batch_index_gives_zeros_on_cuda(op):
    rng = np.random.default_rng(3)
    x = op.feature(rng, 2, 3, 10, 10, 2, 2, np.float32) + 5
    rois = rois_of([[2, 1, 1, 6, 6], [-1, 1, 1, 6, 6], [0.5, 1, 1, 6, 6], [1, 1, 1, 6, 6]], np.float32)
    y = run_cuda(op.name, {"X": x, "rois": rois}, **op.attrs(2, 2, 1.0, -1, False))
    assert (y[:3] == 0).all() and (y[3] != 0).any()
