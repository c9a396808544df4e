"""Memory of a process that runs every op many times, for the leak tests.

    python tests/leak_probe.py LIBRARY [--cuda] [--threads 4] [--warm-up 100] [--runs 4000]

Run in a process of its own, so that nothing else a test suite does moves its
memory, and without torch, whose size would hide a leak in a larger baseline
(--cuda imports it, to read the device's memory). `threads` threads share one
session of tests/all_ops_model.py; together they make `warm-up` runs, then
`runs` more, measured at checkpoints between. Prints one JSON object: for each
checkpoint, the runs made so far, resident memory (bytes), the anonymous part
of it (bytes) and, with --cuda, the device memory in use (bytes).

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

CHECKPOINTS = 4  # measured this many times after the warm-up, evenly spaced
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


def session(library: str, cuda: bool) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 2
    so.register_custom_ops_library(library)
    providers = ["CPUExecutionProvider"]
    if cuda:
        so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
        providers = ["CUDAExecutionProvider"]
    return ort.InferenceSession(all_ops_model.model(), so, providers=providers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("library")
    parser.add_argument("--cuda", action="store_true")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--warm-up", type=int, default=100)
    parser.add_argument("--runs", type=int, default=4000)
    args = parser.parse_args()

    device_used = None
    if args.cuda:
        import torch  # only to read the device's memory

        def device_used() -> int:
            free, total = torch.cuda.mem_get_info()
            return total - free

    sess = session(args.library, args.cuda)
    input_sets = all_ops_model.input_sets()
    # Runs per thread in each phase: the warm-up, then the measured parts.
    phases = [args.warm_up] + [args.runs // CHECKPOINTS] * CHECKPOINTS
    phases = [max(runs // args.threads, 1) for runs in phases]
    barrier = threading.Barrier(args.threads + 1, timeout=TIMEOUT_S)

    def work(t: int) -> None:
        r = 0
        for runs in phases:
            for _ in range(runs):
                sess.run(None, input_sets[(t + r) % len(input_sets)])
                r += 1
            barrier.wait()  # phase done: the main thread measures
            barrier.wait()  # measured: go on

    workers = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(args.threads)]
    for worker in workers:
        worker.start()
    checkpoints = []
    done = 0
    for runs in phases:
        barrier.wait()
        done += runs * args.threads
        gc.collect()
        rss, anon = resident_bytes()
        checkpoints.append({"runs": done, "resident": rss, "anonymous": anon,
                            "device": device_used() if device_used else None})
        barrier.wait()
    for worker in workers:
        worker.join()
    print(json.dumps({"threads": args.threads, "checkpoints": checkpoints}))


if __name__ == "__main__":
    main()
