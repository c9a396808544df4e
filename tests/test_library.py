"""The built library: what it exports, what it links, where it loads."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import ort_roi

LIB = ort_roi.get_library_path()


def readelf(*args):
    assert shutil.which("readelf"), "readelf (binutils) is needed to inspect the library"
    return subprocess.run(["readelf", *args, LIB], check=True, capture_output=True, text=True).stdout


def test_only_register_custom_ops_is_exported():
    defined = []
    for line in readelf("--dyn-syms", "-W").splitlines():
        f = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(f) >= 8 and f[4] in ("GLOBAL", "WEAK") and f[6] != "UND":
            defined.append((f[3], f[7]))
    assert defined == [("FUNC", "RegisterCustomOps")], defined


def test_does_not_link_onnxruntime():
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", readelf("-d"))
    assert needed, "readelf found no NEEDED entries at all"
    assert not [n for n in needed if "onnxruntime" in n], needed


def test_build_info_names_providers_and_api_version():
    info = json.loads((Path(LIB).parent / "build_info.json").read_text())
    assert info["providers"][0] == "CPUExecutionProvider"
    assert ort_roi.providers() == info["providers"]
    # The library asks ORT for the API of the headers it was built against;
    # the installed ORT must serve at least that.
    assert info["ort_api_version"] >= 21
    assert int(ort.get_version_string().split(".")[1]) >= info["ort_api_version"]


LOAD_AND_RUN = textwrap.dedent("""
    import sys
    import numpy as np, onnxruntime as ort
    from onnx import TensorProto, helper
    # A float, an int and a string attribute: each is read through the C API.
    nodes = [helper.make_node("RoIAlign", ["X", "rois"], ["Y"], domain="ort_roi",
                              output_height=2, output_width=2),
             helper.make_node("BatchedNMS", ["boxes", "scores", "idxs"], ["keep"],
                              domain="ort_roi", iou_threshold=0.5, strategy="coordinate_trick",
                              cpu_trick_max_numel=0)]
    g = helper.make_graph(nodes, "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1, 4, 4]),
         helper.make_tensor_value_info("rois", TensorProto.FLOAT, [1, 5]),
         helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [3, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [3]),
         helper.make_tensor_value_info("idxs", TensorProto.INT64, [3])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1, 2, 2]),
         helper.make_tensor_value_info("keep", TensorProto.INT64, [None])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    so = ort.SessionOptions()
    so.register_custom_ops_library(sys.argv[1])
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    y, keep = s.run(None, {"X": np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4),
                           "rois": np.array([[0, 0, 0, 4, 4]], np.float32),
                           "boxes": np.array([[0, 0, 10, 10], [3.33305, 0, 13.33305, 10],
                                              [990, 990, 1000, 1000]], np.float32),
                           "scores": np.array([0.9, 0.8, 0.1], np.float32),
                           "idxs": np.array([99, 99, 0], np.int64)})
    print(ort.__version__, y.ravel().tolist(), keep.tolist())
""")


def test_loads_in_the_oldest_supported_onnxruntime():
    # `make test` installs the oldest ORT the headers allow beside the venv.
    oldest = os.environ.get("ORT_ROI_OLDEST_ORT")
    assert oldest, "set ORT_ROI_OLDEST_ORT to a --target install of the oldest supported onnxruntime"
    env = dict(os.environ, PYTHONPATH=oldest)
    out = subprocess.run([sys.executable, "-c", LOAD_AND_RUN, LIB], env=env, check=True,
                         capture_output=True, text=True).stdout.split(" ", 1)
    newest = subprocess.run([sys.executable, "-c", LOAD_AND_RUN, LIB], check=True,
                            capture_output=True, text=True).stdout.split(" ", 1)
    assert out[0] == "1.21.0" and newest[0] == ort.__version__
    assert out[1] == newest[1]
    # The offset trick keeps box 1 (its IoU rounds below 0.5); the per-class
    # path that the bound of 0 would pick without the strategy drops it.
    assert out[1].endswith("[0, 1, 2]\n")


def test_import_ort_roi_does_not_import_torch():
    code = "import sys, ort_roi, ort_roi.ops, ort_roi.schemas; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_register_is_idempotent_and_sessions_share_the_library():
    so = ort.SessionOptions()
    assert ort_roi.register(so) is so
    ort_roi.register(so)  # a second registration would make ORT refuse the domain
    x = np.ones((1, 1, 4, 4), np.float32)
    from onnx import TensorProto, helper
    node = helper.make_node("RoIPool", ["X", "rois"], ["Y"], domain="ort_roi",
                            output_height=1, output_width=1)
    g = helper.make_graph([node], "g",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("rois", TensorProto.FLOAT, None)],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    for _ in range(2):
        s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        y = s.run(None, {"X": x, "rois": np.array([[0, 0, 0, 3, 3]], np.float32)})[0]
        assert y.shape == (1, 1, 1, 1) and y[0, 0, 0, 0] == 1.0


def test_ort_infers_output_shapes_of_our_nodes():
    # The binding's shape inference lets ORT type our output and know its
    # dims; a Relu after the node carries them to the graph output, whose
    # declared shape is left open.
    from onnx import TensorProto, helper
    nodes = [helper.make_node("RoIAlign", ["X", "rois"], ["Y"], domain="ort_roi",
                              output_height=3, output_width=5),
             helper.make_node("Relu", ["Y"], ["Z"])]
    g = helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["N", 7, "H", "W"]),
                           helper.make_tensor_value_info("rois", TensorProto.DOUBLE, ["K", 5])],
                          [helper.make_tensor_value_info("Z", TensorProto.DOUBLE, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    (z,) = ort_roi.InferenceSession(m.SerializeToString()).get_outputs()
    assert z.shape == ["K", 7, 3, 5]
    assert z.type == "tensor(double)"


def test_missing_library_is_reported_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("ORT_ROI_LIBRARY", str(tmp_path / "nope.so"))
    with pytest.raises(FileNotFoundError, match="ORT_ROI_LIBRARY"):
        ort_roi.get_library_path()


def test_cli_info_lists_schemas_and_built_ops():
    out = subprocess.run([sys.executable, "-m", "ort_roi.cli", "info"], check=True,
                         capture_output=True, text=True).stdout
    info = json.loads(out)
    assert info["library"] == LIB
    assert len(info["schemas"]) == 8
    # Exactly the ops that have a binding in the source tree report as built.
    bindings = Path(__file__).resolve().parent.parent / "kernels" / "ort"
    bound = {m for f in bindings.glob("*_op.cc")
             for m in re.findall(r'kName = "(\w+)"', f.read_text())}
    assert {"RoIAlign", "RoIPool"} <= bound
    assert set(info["ops_built"]) == bound
    assert set(info["ops_built"]) <= set(info["schemas"])
