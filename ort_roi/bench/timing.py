"""Medians of wall times of several runtimes timed in turn; progress on stderr."""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Median:
    wall_ms: float
    # The process's CPU time over the call, every thread's: the work done, whoever
    # else holds the cores (spinning idle threads count too: see --no-spin).
    cpu_ms: float


def medians_in_turn(calls: dict[str, Callable[[], object]], repeat: int,
                    warmup: int = 1, pause: float = 0.05,
                    rewarm_below: float = 0.0) -> dict[str, Median]:
    """{name: medians of wall and CPU ms} of each call, the calls taking turns within
    every round.

    On a machine that others share, the load changes from second to second;
    timing each runtime in its own block would charge one runtime with a busy
    spell that another missed. Interleaved, a spell lands on all of them.

    A call whose last warm-up took under `rewarm_below` seconds runs once more,
    untimed, right before each timed run: the first call after the pause pays
    for the processor waking up (on a virtual machine a few hundred
    microseconds, whoever makes the call), which would swamp a short call.
    """
    took: dict[str, float] = {}
    for _ in range(warmup):
        for name, fn in calls.items():
            t0 = time.perf_counter()
            fn()
            took[name] = time.perf_counter() - t0
    rewarm = {name for name, seconds in took.items() if seconds < rewarm_below}
    wall: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(max(repeat, 1)):
        for name, fn in calls.items():
            # The previous runtime's worker threads spin a while after its call
            # (ORT's pool, OpenMP, TBB); on few cores they would slow this one.
            time.sleep(pause)
            if name in rewarm:
                fn()
            c0 = time.process_time()
            t0 = time.perf_counter()
            fn()
            t1 = time.perf_counter()
            cpu[name].append((time.process_time() - c0) * 1e3)
            wall[name].append((t1 - t0) * 1e3)
    return {name: Median(statistics.median(wall[name]), statistics.median(cpu[name]))
            for name in calls}


class Progress:
    """What the run is doing, on stderr, so that stdout keeps only the results."""

    def __init__(self, total: int, stream=None):
        self.total, self.count = total, 0
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()

    def case(self, text: str) -> None:
        self.count += 1
        self._say(f"[{self.count}/{self.total}] {text}")

    def note(self, text: str) -> None:
        self._say(f"    {text}")

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def _say(self, text: str) -> None:
        print(f"{self.elapsed():6.1f}s {text}", file=self.stream, flush=True)
