"""Build a one-node RoIAlign model, run it in ONNX Runtime with ort_roi, and
compare it with torchvision.ops.roi_align on the same inputs."""

import numpy as np
import onnx
import torch
import torchvision
from onnx import TensorProto, helper

import ort_roi

# A model with one ort_roi.RoIAlign node: 7x7 bins, feature stride 4.
node = helper.make_node("RoIAlign", ["X", "rois"], ["Y"], domain="ort_roi",
                        output_height=7, output_width=7, spatial_scale=0.25,
                        sampling_ratio=2, aligned=1)
graph = helper.make_graph(
    [node], "roi_align_example",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 256, "H", "W"]),
     helper.make_tensor_value_info("rois", TensorProto.FLOAT, ["K", 5])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["K", 256, 7, 7])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("ort_roi", 1)])
onnx.checker.check_model(model)

rng = np.random.default_rng(0)
x = rng.standard_normal((2, 256, 50, 68), dtype=np.float32)
xy = rng.uniform(0, 200, (300, 2))
wh = rng.uniform(8, 120, (300, 2))
rois = np.concatenate([rng.integers(0, 2, (300, 1)), xy, xy + wh], axis=1).astype(np.float32)

sess = ort_roi.InferenceSession(model.SerializeToString())
(y,) = sess.run(None, {"X": x, "rois": rois})

ref = torchvision.ops.roi_align(torch.from_numpy(x), torch.from_numpy(rois), (7, 7),
                                spatial_scale=0.25, sampling_ratio=2, aligned=True).numpy()
err = np.abs(y - ref)
print(f"ort_roi {ort_roi.__version__}, library {ort_roi.get_library_path()}")
print(f"RoIAlign output {y.shape}; torchvision {torchvision.__version__} output {ref.shape}")
print(f"max abs error {err.max():.3g}, max rel error {(err / np.maximum(np.abs(ref), 1e-6)).max():.3g}")
print("match" if np.allclose(y, ref, rtol=1e-5, atol=1e-6) else "MISMATCH")
