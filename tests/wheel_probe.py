"""Run by tests/test_packaging.py with the Python of a fresh virtual
environment that holds the ort_roi wheel, onnxruntime, numpy and onnx only.

    python -I wheel_probe.py CASE_DIR

CASE_DIR is examples/cpp_consumer/make_case.py's layout (a model with NMS and
RoIAlign nodes, its inputs, torchvision's results). Runs the model through
ort_roi.InferenceSession and the RoIAlign through ort_roi.ops; prints JSON and
exits 0 when everything matches, and torch was neither there nor imported.
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

import ort_roi
import ort_roi.ops
import ort_roi.schemas


def within(path: str) -> bool:
    return Path(path).resolve().is_relative_to(Path(sys.prefix).resolve())


case = Path(sys.argv[1])
feeds = {p.stem: np.load(p) for p in (case / "inputs").glob("*.npy")}
expected = {p.stem: np.load(p) for p in (case / "expected").glob("*.npy")}

sess = ort_roi.InferenceSession(str(case / "model.onnx"))
keep, pooled = sess.run(["keep", "pooled"], feeds)
np.testing.assert_array_equal(keep, expected["keep"])
np.testing.assert_allclose(pooled, expected["pooled"], rtol=1e-5, atol=1e-6)

# The NumPy API on the proposals NMS kept gives the same pooled features.
kept = feeds["proposals"][expected["keep"]]
by_ops = ort_roi.ops.roi_align(feeds["features"], kept, 5, spatial_scale=0.25, sampling_ratio=2,
                               aligned=True)
np.testing.assert_allclose(by_ops, expected["pooled"], rtol=1e-5, atol=1e-6)

report = {
    "ort_roi": ort_roi.__file__,
    "library": ort_roi.get_library_path(),
    "kept": len(keep),
    "torch_installed": importlib.util.find_spec("torch") is not None,
    "torch_imported": "torch" in sys.modules,
}
print(json.dumps(report))
assert within(report["ort_roi"]) and within(report["library"]), "ort_roi did not come from this environment"
assert not report["torch_installed"] and not report["torch_imported"]
