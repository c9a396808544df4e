"""The runtimes a case is timed on, each set to the same thread count.

ort_roi and ONNX Runtime's own ops run one-node (or exported) models in ORT
sessions; torchvision runs eagerly; OpenVINO (optional: the `bench` extra)
compiles small models built with its Python opset API for its CPU plugin.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

import ort_roi

ONNX_TYPE = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
             np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.float64): TensorProto.DOUBLE}


@dataclass
class Run:
    """A timed call and how to read its result as NumPy arrays (outside the timing)."""
    call: Callable[[], object]
    outputs: Callable[[object], list]

    def result(self) -> list:
        return [np.asarray(a) for a in self.outputs(self.call())]


class Unavailable(Exception):
    """A peer that cannot be timed here; the message says why (shown in its cell)."""

    def __init__(self, status: str, reason: str = ""):
        super().__init__(f"{status}: {reason}" if reason else status)
        self.status, self.reason = status, reason


def one_node(op: str, feeds: dict[str, np.ndarray], out_type=TensorProto.FLOAT, *,
             domain: str = "", opset: int = 17, n_outputs: int = 1, **attrs) -> bytes:
    """A model of one node whose inputs are `feeds`' names (an empty name: input left out)."""
    opsets = [helper.make_opsetid("", opset)]
    if domain:
        opsets.append(helper.make_opsetid(domain, 1))
    outputs = [f"Y{i}" for i in range(n_outputs)]
    graph = helper.make_graph(
        [helper.make_node(op, list(feeds), outputs, domain=domain, name=op, **attrs)], op,
        [helper.make_tensor_value_info(n, ONNX_TYPE[a.dtype], None) for n, a in feeds.items()],
        [helper.make_tensor_value_info(o, out_type, None) for o in outputs])
    return helper.make_model(graph, opset_imports=opsets, ir_version=9).SerializeToString()


class Runtimes:
    def __init__(self, threads: int, spin: bool = True):
        self.threads = threads
        # False: ORT's idle pool threads sleep at once instead of spinning (torch's
        # OpenMP threads too, but only through OMP_WAIT_POLICY, set before torch loads).
        self.spin = spin
        self._openvino = None      # (openvino, opset13, Core) once imported
        self._openvino_missing: Optional[str] = None

    # ---- ONNX Runtime ------------------------------------------------------------
    def session(self, model, *, ours: bool, profile_prefix: str = "") -> ort.InferenceSession:
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3  # shape warnings on data-dependent outputs (NMS)
        if not self.spin:
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if profile_prefix:
            so.enable_profiling = True
            so.profile_file_prefix = profile_prefix
        if ours:
            return ort_roi.InferenceSession(model, so)
        return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])

    def ort_run(self, model, feeds: dict[str, np.ndarray], *, ours: bool) -> Run:
        sess = self.session(model, ours=ours)
        wanted = {i.name for i in sess.get_inputs()}  # an exporter may drop an unused input
        feeds = {k: v for k, v in feeds.items() if k in wanted}
        return Run(lambda: sess.run(None, feeds), list)

    def ours(self, op: str, feeds: dict[str, np.ndarray], out_type=None, **attrs) -> Run:
        """ort_roi's node; its output in the first input's type unless out_type says."""
        if out_type is None:
            out_type = ONNX_TYPE[next(iter(feeds.values())).dtype]
        return self.ort_run(one_node(op, feeds, out_type, domain=ort_roi.DOMAIN, **attrs), feeds,
                            ours=True)

    def ort_builtin(self, op: str, feeds: dict[str, np.ndarray], out_type=TensorProto.FLOAT,
                    opset: int = 17, **attrs) -> Run:
        """ONNX Runtime's own kernel; Unavailable when this ORT has none for it."""
        try:
            run = self.ort_run(one_node(op, feeds, out_type, opset=opset, **attrs), feeds,
                               ours=False)
            run.call()
        except Exception as e:  # noqa: BLE001 -- ORT's message is the reason shown
            raise Unavailable("fails in ONNX Runtime", first_line(e)) from e
        return run

    # ---- torch ----------------------------------------------------------------------
    @staticmethod
    def tensors(*arrays: np.ndarray) -> list:
        """Torch tensors of the arrays; float16 ones in float32, as the tests compare
        float16 (torchvision's CPU kernels on the same rounded values)."""
        import torch
        return [torch.from_numpy(a.astype(np.float32) if a.dtype == np.float16 else a)
                for a in arrays]

    @staticmethod
    def torch(fn: Callable, *args, **kwargs) -> Run:
        import torch

        def call():
            with torch.no_grad():
                return fn(*args, **kwargs)
        return Run(call, lambda out: [t.numpy() for t in (out if isinstance(out, (list, tuple))
                                                          else [out])])

    # ---- OpenVINO ---------------------------------------------------------------
    def openvino(self):
        """(openvino, its opset13 module); Unavailable when OpenVINO is not installed."""
        if self._openvino is None and self._openvino_missing is None:
            try:
                import openvino as ov
                try:
                    from openvino import opset13
                except ImportError:  # before 2025 the opsets lived under openvino.runtime
                    from openvino.runtime import opset13
                self._openvino = (ov, opset13, ov.Core())
            except ImportError as e:
                self._openvino_missing = f"pip install openvino (the bench extra): {e}"
        if self._openvino is None:
            raise Unavailable("not installed", self._openvino_missing or "")
        return self._openvino[0], self._openvino[1]

    def openvino_version(self) -> str:
        try:
            ov, _ = self.openvino()
        except Unavailable:
            return "not installed"
        return ov.get_version()

    def openvino_config(self) -> dict:
        # float32 as on every other side: on processors with bf16 or AMX the CPU
        # plugin would otherwise run matrix products in bfloat16.
        return {"INFERENCE_NUM_THREADS": self.threads, "INFERENCE_PRECISION_HINT": "f32",
                "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1}

    def openvino_compile(self, model):
        """OpenVINO's CPU plugin's compiled model of an ov.Model or a model file."""
        self.openvino()
        return self._openvino[2].compile_model(model, "CPU", self.openvino_config())

    def openvino_run(self, model, feeds: dict[str, np.ndarray]) -> Run:
        request = self.openvino_compile(model).create_infer_request()
        names = {name for port in request.model_inputs for name in port.get_names()}
        feeds = {k: v for k, v in feeds.items() if k in names}
        # share_inputs: OpenVINO reads the arrays in place, as ORT does.
        return Run(lambda: request.infer(feeds, share_inputs=True),
                   lambda out: [np.array(a) for a in out.to_tuple()])

    def openvino_model(self, outputs, parameters):
        ov, _ = self.openvino()
        return ov.Model(outputs, parameters, "bench")

    def openvino_threads(self) -> Optional[int]:
        """The thread count OpenVINO's CPU plugin takes from our configuration."""
        try:
            ov, ops = self.openvino()
        except Unavailable:
            return None
        x = ops.parameter([1], np.float32, name="x")
        compiled = self.openvino_compile(ov.Model([ops.relu(x)], [x], "probe"))
        return int(compiled.get_property("INFERENCE_NUM_THREADS"))

    def openvino_onnx(self, model_bytes: bytes, feeds: dict[str, np.ndarray]) -> Run:
        """An ONNX model read by OpenVINO's ONNX front end and compiled for its CPU plugin;
        Unavailable("fails to convert", why) when it cannot read or compile it."""
        self.openvino()
        with tempfile.TemporaryDirectory(prefix="ort_roi_bench_") as folder:
            path = os.path.join(folder, "model.onnx")
            with open(path, "wb") as f:
                f.write(model_bytes)
            try:
                run = self.openvino_run(path, feeds)
                run.call()
            except Exception as e:  # noqa: BLE001 -- OpenVINO's message is the reason shown
                raise Unavailable("fails to convert", first_line(e)) from e
        return run


def first_line(error: BaseException, limit: int = 300) -> str:
    """An error message on one line, shortened: the lines that say what went wrong."""
    lines = [ln.strip() for ln in str(error).strip().splitlines() if ln.strip()]
    # OpenVINO's messages open with the source files that raised them and end with a
    # summary repeating the failed op; its reason lies between.
    useful = [ln for ln in lines if not ln.startswith(("Exception from", "Check '"))]
    if "Summary:" in useful:
        useful = useful[: useful.index("Summary:")]
    text = " ".join(useful or lines) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
