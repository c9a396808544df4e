"""ort-roi bench: ort_roi's kernels timed against torchvision, ONNX Runtime's own ops and
OpenVINO's CPU ops, in one process, on the same inputs, with the same thread count."""

from __future__ import annotations

import ctypes
import datetime
import os
import platform
import shlex
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

import ort_roi

from ..bench import specs as all_specs
from ..bench.case import DTYPE_TOLERANCE, close, peer_name
from ..bench.report import markdown, ms_text, ratio_text, write_json, write_png
from ..bench.runtimes import Runtimes, Unavailable, first_line
from ..bench.timing import Progress, medians_in_turn

DEFAULT_REPEAT = 7
SLOW_REPEAT = 3      # Mask R-CNN: seconds a run
QUICK_REPEAT = 2
PAUSE_MS = 50        # between turns: see timing.medians_in_turn
REWARM_MS = 20       # a call shorter than this runs once untimed before each timed run


def select(specs: list, only: list[str] | None, quick: bool) -> list:
    """The specs --only names (an id, or a family: "nms" is nms_1k, nms_5k, nms_20k; an
    id is that row alone, "roi_pool" not roi_pool_fast_rcnn); all but the slow ones in
    --quick unless --only names them."""
    if not only:
        return [s for s in specs if not (quick and s.slow)]
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    ids = {s.id for s in specs}

    def named(spec, name: str) -> bool:
        return spec.id == name or (name not in ids and spec.id.startswith(name + "_"))

    unknown = [n for n in names if not any(named(s, n) for s in specs)]
    if unknown:
        raise SystemExit(f"ort-roi bench: no row named {', '.join(unknown)}; rows: "
                         + ", ".join(s.id for s in specs))
    return [s for s in specs if any(named(s, n) for n in names)]


def _command_line(args) -> str:
    parts = ["ort-roi", "bench"] + (["--quick"] if args.quick else [])
    for item in args.only or []:
        parts += ["--only", item]
    for dtype in args.dtype or []:
        parts += ["--dtype", dtype]
    parts += (["--cpu-time"] if args.cpu_time else []) + (["--no-spin"] if args.no_spin else [])
    for option in ("threads", "repeat", "json", "markdown", "png"):
        value = getattr(args, option)
        if value is not None and not (option == "threads" and value == 2):
            parts += [f"--{option}", str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()}"


def _isa() -> str:
    """The vector level the CPU kernels use (AVX-512, AVX2 or plain C++, picked
    at run time and capped by ORT_ROI_ISA). The library exports nothing but
    RegisterCustomOps, so ask the test library beside it, which decides by
    the same code (kernels/common/cpu_isa.cc) on the same processor and
    environment."""
    cap = os.environ.get("ORT_ROI_ISA")
    capped = f" (ORT_ROI_ISA={cap})" if cap else ""
    try:
        probe = ctypes.CDLL(str(Path(ort_roi.get_library_path()).parent /
                                "libort_roi_host_grid.so"))
        probe.ort_roi_active_isa.restype = ctypes.c_char_p
        return f", vector level {probe.ort_roi_active_isa().decode()}{capped}"
    except (OSError, AttributeError):
        return f", vector level unknown{capped}"


def run(args) -> int:
    if args.no_spin:
        # Read once, when torch's OpenMP starts: before anything imports torch
        # (the specs do).
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    specs = all_specs()
    if args.list:
        for s in specs:
            print(f"{s.id:<18} {s.title}{'  (slow: left out of --quick)' if s.slow else ''}")
        return 0
    chosen = select(specs, args.only, args.quick)
    import torch
    import torchvision

    torch.set_num_threads(args.threads)
    rt = Runtimes(args.threads, spin=not args.no_spin)
    ov_threads = rt.openvino_threads()
    threads_text = (f"torch {torch.get_num_threads()}, ONNX Runtime intra-op {args.threads}, "
                    "OpenVINO " + (f"INFERENCE_NUM_THREADS {ov_threads}" if ov_threads is not None
                                   else "not installed"))
    meta = {
        "command": _command_line(args),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "versions": f"ort_roi {ort_roi.__version__} ({ort_roi.get_library_path()}{_isa()}), "
                    f"onnxruntime {ort.__version__}, torch {torch.__version__}, torchvision "
                    f"{torchvision.__version__}, openvino {rt.openvino_version()}",
        "threads": args.threads, "threads_text": threads_text, "quick": args.quick,
        "dtypes": args.dtype or [], "cpu_time": args.cpu_time,
        "idle_threads": ("sleep (ONNX Runtime allow_spinning 0, OMP_WAIT_POLICY=PASSIVE)"
                         if args.no_spin else "each runtime's default (they spin a while)"),
        "warmup": 1, "pause_ms": _pause_ms(args), "rewarm_ms": _rewarm_ms(args),
        "repeat_text": (str(args.repeat) if args.repeat else
                        f"{QUICK_REPEAT}" if args.quick else
                        f"{DEFAULT_REPEAT} ({SLOW_REPEAT} for Mask R-CNN)"),
    }
    progress = Progress(len(chosen))
    progress.note(f"threads: {threads_text}")
    rows = [_run_case(spec, rt, args, progress) for spec in chosen]
    result = {"meta": meta, "rows": rows}
    text = markdown(result)
    print(text, end="")
    if args.json:
        write_json(args.json, result)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.png:
        why = write_png(args.png, result)
        if why:
            print(f"no chart written to {args.png}: {why}", file=sys.stderr)
    failed = [r["id"] for r in rows if not r["check"]["ok"]
              or any(d["status"] != "timed" or not d["check"]["ok"]
                     for d in r.get("dtypes", {}).values())]
    progress.note(f"done in {progress.elapsed():.0f}s" + (
        f"; ort_roi is off or failed in: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _pause_ms(args) -> int:
    return 0 if args.quick else PAUSE_MS


def _rewarm_ms(args) -> int:
    return 0 if args.quick else REWARM_MS


def _repeat(args, spec) -> int:
    if args.repeat:
        return args.repeat
    return QUICK_REPEAT if args.quick else SLOW_REPEAT if spec.slow else DEFAULT_REPEAT


def _run_case(spec, rt: Runtimes, args, progress: Progress) -> dict:
    progress.case(f"{spec.id}: {spec.title}")
    row = {"id": spec.id, "title": spec.title, "shape": "", "ort_roi_ms": None, "peers": []}
    try:
        case = spec.build(rt, args.quick)
        row["shape"] = case.shape
        progress.note(case.shape)
        expected = case.reference.result()
        check = case.check(case.ours.result(), expected)
    except Exception as e:  # noqa: BLE001 -- one broken row must not hide the others
        row["error"] = f"{type(e).__name__}: {first_line(e)}"
        row["check"] = {"ok": False, "detail": "not run: " + row["error"], "max_abs": None}
        progress.note(f"FAILED: {row['error']}")
        return row
    row["check"] = vars(check)
    progress.note(f"ort_roi vs {case.reference_label}: {'ok' if check.ok else 'MISMATCH'}, "
                  f"{check.detail}")

    calls = {"ort_roi": case.ours.call}
    peers = []
    if case.time_reference:
        peers.append({"column": "torchvision", "label": case.reference_label, "status": "timed"})
        calls["torchvision"] = case.reference.call
    for peer in case.peers:
        entry = {"column": peer.column, "label": peer.label, "status": "timed"}
        if peer.note:
            entry["note"] = peer.note
        try:
            run = peer.build()
            outputs = peer.convert(run.result())
            if peer.comparable:
                entry["vs_torchvision"] = vars((peer.check or case.check)(outputs, expected))
            calls[peer.column] = run.call
        except Unavailable as e:
            entry.update(status=e.status, reason=e.reason)
        except Exception as e:  # noqa: BLE001 -- a peer's failure is reported, not fatal
            entry.update(status="fails", reason=f"{type(e).__name__}: {first_line(e)}")
        if entry["status"] != "timed":
            progress.note(f"{peer_name(peer.column, peer.label)}: {entry['status']}"
                          + (f" ({entry['reason']})" if entry.get("reason") else ""))
        peers.append(entry)
    dtypes = _in_dtypes(case, args.dtype or [], calls, progress)

    repeat = _repeat(args, spec)
    progress.note(f"timing {', '.join(calls)}: {repeat} rounds after a warm-up")
    # --quick's figures mean nothing: no pause between turns there, to keep it short.
    medians = medians_in_turn(calls, repeat, warmup=1, pause=_pause_ms(args) / 1e3,
                              rewarm_below=_rewarm_ms(args) / 1e3)
    ours = medians["ort_roi"]
    row["ort_roi_ms"], row["ort_roi_cpu_ms"] = ours.wall_ms, ours.cpu_ms
    for key, entry in [*((p["column"], p) for p in peers), *dtypes.items()]:
        if entry["status"] == "timed":
            # a peer's ratio: its time over ort_roi's; a dtype's: its time over float32's
            entry["ms"], entry["cpu_ms"] = medians[key].wall_ms, medians[key].cpu_ms
            entry["ratio"] = entry["ms"] / ours.wall_ms
            entry["cpu_ratio"] = entry["cpu_ms"] / ours.cpu_ms if ours.cpu_ms > 0 else None
    row["peers"] = peers
    if dtypes:
        row["dtypes"] = {key.split()[-1]: entry for key, entry in dtypes.items()}
    progress.note("ort_roi " + ms_text(row["ort_roi_ms"]) + "".join(
        f"; {peer_name(p['column'], p['label'])} {ms_text(p['ms'])} ({ratio_text(p['ratio'])})"
        for p in peers if p["status"] == "timed") + "".join(
        f"; {key} {ms_text(d['ms'])} ({ratio_text(d['ratio'])} float32's)"
        for key, d in dtypes.items() if d["status"] == "timed"))
    if case.after is not None:
        try:
            row["extra"], row["extra_text"] = case.after()
            progress.note(row["extra_text"])
        except Exception as e:  # noqa: BLE001
            row["extra_text"] = f"profile failed: {type(e).__name__}: {first_line(e)}"
    return row


def _in_dtypes(case, dtypes: list[str], calls: dict, progress: Progress) -> dict:
    """{"ort_roi float16": entry, ...} for --dtype: ort_roi on the case's inputs rounded to
    that type, checked against torchvision on the same values (DESIGN.md's tolerances) and
    added to `calls`, to take turns with the others."""
    entries = {}
    for dtype in dtypes if case.in_dtype is not None else []:
        key = f"ort_roi {dtype}"
        try:
            ours, reference = case.in_dtype(np.dtype(dtype).type)
            check = close(DTYPE_TOLERANCE[dtype])(ours.result(), reference.result())
            entries[key] = {"status": "timed", "check": vars(check)}
            calls[key] = ours.call
        except Exception as e:  # noqa: BLE001 -- reported in its cell, and the run fails
            entries[key] = {"status": "fails", "reason": f"{type(e).__name__}: {first_line(e)}"}
            check = None
        progress.note(f"{key} vs torchvision: " + (
            entries[key]["reason"] if check is None else
            f"{'ok' if check.ok else 'MISMATCH'}, {check.detail}"))
    return entries
