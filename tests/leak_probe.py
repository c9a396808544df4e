"""Memory of a process that runs every op many times, for the leak tests.

    python tests/leak_probe.py LIBRARY [--cuda] [--builtin] [--threads 4]
        [--warm-up 100] [--runs 4000] [--checkpoints 4]

Run in a process of its own, so that nothing else a test suite does moves its
memory, and without torch, whose size would hide a leak in a larger baseline
(--cuda imports it, to read the device's memory, and reads that once before
anything is measured). `threads` threads share one
session of tests/all_ops_model.py; together they make `warm-up` runs, then
`runs` more, measured at checkpoints between. Prints one JSON object: for each
checkpoint, the runs made so far, resident memory (bytes), the anonymous part
of it (bytes), with --cuda the device memory in use (bytes), and the most runs
that were in flight at once since the checkpoint before. --builtin runs
all_ops_model.builtin_model() instead, ONNX Runtime's own ops on the same
inputs, with LIBRARY still registered: a control that tells growth of ours
from ONNX Runtime's.

The warm-up runs in lockstep rounds: each thread waits for the others
before each of its warm-up runs. ONNX Runtime keeps, per session, one set of
execution streams for each run in flight (on CUDA each with its own stream
and library handles, megabytes of host memory), and makes a new set the first
time more runs overlap than ever before: a one-off cost that a server pays in
its first seconds. Threads left to themselves can take hundreds of runs to
first overlap all at once, and that cost would be counted as growth. So the
warm-up is `warm-up` runs, and more rounds after them (at most as many again)
until every thread's run has been in flight at the same time; the first
checkpoint says how many runs that took.

Anonymous memory is what a leak grows: the heap, the thread stacks, ORT's
arena. The rest of resident memory is the libraries' code and data mapped
from their files, which the kernel pages in and out as it likes (a code path
taken for the first time, or memory pressure from other processes), and
which moves by hundreds of KiB without any allocation.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import threading

import onnxruntime as ort

import all_ops_model

TIMEOUT_S = 300  # a worker that dies must not leave the others waiting forever


def resident_bytes() -> tuple[int, int]:
    """Resident memory, and the anonymous part of it, in bytes."""
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                fields[name] = int(value.split()[0]) * 1024  # reported in kB
    return fields["VmRSS"], fields["RssAnon"]


class InFlight:
    """Counts the runs in flight, and the most at once since last asked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0
        self._peak = 0
        self.ever = 0  # the most at once since the start

    def __enter__(self) -> None:
        with self._lock:
            self._now += 1
            self._peak = max(self._peak, self._now)
            self.ever = max(self.ever, self._now)

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._now -= 1

    def take_peak(self) -> int:
        with self._lock:
            peak, self._peak = self._peak, self._now
            return peak


def session(library: str, cuda: bool, builtin: bool) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 2
    so.register_custom_ops_library(library)
    providers = ["CPUExecutionProvider"]
    if cuda:
        # Grown by what is asked for, ONNX Runtime's device arena holds what
        # the runs hold, so a leak of any size shows. By default it adds a
        # region twice its last when it runs short (kNextPowerOfTwo): 512 MiB
        # at once on an H200, the first time 4 overlapping runs, each holding
        # scratch tagged with its own stream (kernels/ort/device_scratch.h),
        # needed more than the warm-up had. A step paid once, not a leak.
        grow_as_asked = {"arena_extend_strategy": "kSameAsRequested"}
        providers = [("CUDAExecutionProvider", grow_as_asked), "CPUExecutionProvider"]
        if not builtin:  # ours must all run on the device; the control's shape ops may not
            so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
            providers = providers[:1]
    model = all_ops_model.builtin_model() if builtin else all_ops_model.model()
    return ort.InferenceSession(model, so, providers=providers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("library")
    parser.add_argument("--cuda", action="store_true")
    parser.add_argument("--builtin", action="store_true")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--warm-up", type=int, default=100)
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--checkpoints", type=int, default=4)
    args = parser.parse_args()

    device_used = None
    if args.cuda:
        import torch  # only to read the device's memory

        def device_used() -> int:
            free, total = torch.cuda.mem_get_info()
            return total - free

        # torch sets up its CUDA state on its first query. Made at the first
        # checkpoint, after that checkpoint's reading of host memory, it was
        # the likely cause of a one-off step of ~15 MiB on an H100, the same
        # with ONNX Runtime's own ops; here, before the session, it is not
        # counted as the session's growth.
        device_used()

    sess = session(args.library, args.cuda, args.builtin)
    fed = {i.name for i in sess.get_inputs()}
    input_sets = [{k: v for k, v in inputs.items() if k in fed}
                  for inputs in all_ops_model.input_sets()]
    # Runs per thread: the warm-up's rounds (at least), then the measured parts.
    rounds = max(args.warm_up // args.threads, 1)
    phases = [max(args.runs // args.checkpoints // args.threads, 1)] * args.checkpoints
    barrier = threading.Barrier(args.threads + 1, timeout=TIMEOUT_S)
    in_flight = InFlight()
    warm = {"rounds": 0, "go on": True}

    def next_round() -> None:  # run by one thread while all wait at the lockstep
        overlapped = in_flight.ever >= args.threads
        warm["go on"] = warm["rounds"] < rounds or (not overlapped and warm["rounds"] < 2 * rounds)
        warm["rounds"] += warm["go on"]

    lockstep = threading.Barrier(args.threads, action=next_round, timeout=TIMEOUT_S)

    def work(t: int) -> None:
        r = 0
        while True:
            lockstep.wait()
            if not warm["go on"]:
                break
            with in_flight:
                sess.run(None, input_sets[(t + r) % len(input_sets)])
            r += 1
        barrier.wait()  # warm-up done: the main thread measures
        barrier.wait()  # measured: go on
        for runs in phases:
            for _ in range(runs):
                with in_flight:
                    sess.run(None, input_sets[(t + r) % len(input_sets)])
                r += 1
            barrier.wait()  # phase done: the main thread measures
            barrier.wait()  # measured: go on

    workers = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(args.threads)]
    for worker in workers:
        worker.start()
    checkpoints = []
    done = 0
    for runs in [None] + phases:
        barrier.wait()
        done += (warm["rounds"] if runs is None else runs) * args.threads
        gc.collect()
        rss, anon = resident_bytes()
        checkpoints.append({"runs": done, "resident": rss, "anonymous": anon,
                            "device": device_used() if device_used else None,
                            "in_flight": in_flight.take_peak()})
        barrier.wait()
    for worker in workers:
        worker.join()
    print(json.dumps({"threads": args.threads, "builtin": args.builtin,
                      "checkpoints": checkpoints}))


if __name__ == "__main__":
    main()
