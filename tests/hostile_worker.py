"""Runs hostile_cases.py's cases, each in a child forked from this process,
which has imported onnxruntime but created no session: a crash or a hang of
one case is that case's result, and the rest still run.

    python tests/hostile_worker.py RESULTS.pkl [CASE_ID ...]

writes {case id: result} to RESULTS.pkl, a result being a dict with `stage`
("ok", "create", "run", "crash" or "hang") and, by stage, `output`, or the
ORT error's `code` (INVALID_ARGUMENT, ...) and `message`, or the `signal`.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import signal
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_cases import BY_ID, CASES, Case  # noqa: E402
from support import ONNX_TYPE, one_node_model  # noqa: E402

import ort_roi  # noqa: E402

TIMEOUT_S = 30.0  # per case; the slowest takes well under a second


def _model(case: Case) -> bytes:
    """support's one-node model; an absent optional input ("") is left out
    of the graph's inputs but keeps its place in the node's."""
    given = {k: v for k, v in case.inputs.items() if not isinstance(v, str)}
    model = one_node_model(case.op, given, out_type=case.out_type, **case.attrs)
    if len(given) == len(case.inputs):
        return model
    proto = onnx.load_from_string(model)
    node = proto.graph.node[0]
    del node.input[:]
    node.input.extend(k if not isinstance(v, str) else "" for k, v in case.inputs.items())
    del proto.graph.input[:]
    proto.graph.input.extend(helper.make_tensor_value_info(k, ONNX_TYPE[v.dtype.type], None)
                             for k, v in given.items())
    return proto.SerializeToString()


def _error(stage: str, e: Exception) -> dict:
    text = str(e)
    parts = text.split(" : ", 3)  # "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : ..."
    code = parts[2] if len(parts) > 2 else type(e).__name__
    return {"stage": stage, "code": code, "text": text}


def run_case(case: Case) -> dict:
    so = ort.SessionOptions()
    so.log_severity_level = 4  # errors are asserted on, not logged
    so.intra_op_num_threads = 1
    feeds = {k: v for k, v in case.inputs.items() if not isinstance(v, str)}
    try:
        sess = ort_roi.InferenceSession(_model(case), so)
    except Exception as e:  # what ORT or the op says is the result
        return _error("create", e)
    try:
        return {"stage": "ok", "output": sess.run(None, feeds)[0]}
    except Exception as e:
        return _error("run", e)


def in_child(case: Case, run=run_case, timeout_s: float = TIMEOUT_S) -> dict:
    """run(case) in a forked child: its result, or how the child died."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send the result, leave without cleanup
        faulthandler.disable()  # its death is the result, not a traceback to print
        os.close(read)
        try:
            payload = pickle.dumps(run(case))
        except BaseException as e:  # noqa: BLE001 - any failure is the case's result
            payload = pickle.dumps({"stage": "error", "text": repr(e)})
        with os.fdopen(write, "wb") as f:
            f.write(payload)
        os._exit(0)
    os.close(write)
    chunks, deadline = [], time.monotonic() + timeout_s
    os.set_blocking(read, False)
    while True:
        try:
            chunk = os.read(read, 1 << 20)
        except BlockingIOError:
            chunk = None
        if chunk:
            chunks.append(chunk)
        elif chunk == b"":  # the child closed the pipe: done or dead
            break
        elif time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read)
            return {"stage": "hang", "seconds": timeout_s}
        else:
            time.sleep(0.002)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return {"stage": "crash", "signal": signal.Signals(os.WTERMSIG(status)).name}
    if not chunks:
        return {"stage": "crash", "exit": os.WEXITSTATUS(status)}
    return pickle.loads(b"".join(chunks))


def main(argv: list[str]) -> None:
    out, ids = argv[0], argv[1:]
    cases = [BY_ID[i] for i in ids] if ids else CASES
    results = {case.id: in_child(case) for case in cases}
    with open(out, "wb") as f:
        pickle.dump(results, f)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main(sys.argv[1:])
