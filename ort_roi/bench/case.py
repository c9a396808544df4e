"""What a benchmark case is: ort_roi, torchvision (the reference) and its peers on the
same inputs, and how their outputs are compared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .runtimes import Run

# The table's columns after ort_roi, in order; a peer names one.
COLUMNS = {"torchvision": "torchvision", "onnxruntime": "ONNX Runtime",
           "openvino": "OpenVINO CPU"}


def peer_name(column: str, label: str) -> str:
    """"ONNX Runtime RoiAlign", "torchvision", "torchvision PyTorch eager"."""
    return COLUMNS[column] if label == column else f"{COLUMNS[column]} {label}"


@dataclass
class Check:
    ok: bool
    detail: str
    max_abs: Optional[float] = None


@dataclass
class Peer:
    column: str                       # a key of COLUMNS
    label: str                        # what runs there: "RoiAlign", "standard export"
    build: Callable[[], Run]          # raises runtimes.Unavailable when it cannot run here
    # Its outputs in torchvision's form (NMS's [M, 3] triplets to box indices, say)
    convert: Callable[[list], list] = lambda outputs: outputs
    note: str = ""                    # how its semantics differ from torchvision's, if they do
    comparable: bool = True           # False: another computation (a reference row's Conv)
    check: Optional[Callable[[list, list], Check]] = None  # else the case's own


@dataclass
class Case:
    shape: str                        # the inputs, in words: "X 1x256x200x272, 1000 rois, 7x7"
    ours: Run
    reference: Run                    # torchvision, timed in the torchvision column
    check: Callable[[list, list], Check]
    peers: list[Peer] = field(default_factory=list)
    reference_label: str = "torchvision"
    time_reference: bool = True       # False: torchvision only checks ours (a reference row)
    # Called once after the timing; returns extra figures for the record and a line
    # for the table's notes (the Mask R-CNN profile).
    after: Optional[Callable[[], tuple[dict, str]]] = None
    # --dtype: (ort_roi, torchvision) on the inputs rounded to that float type; None
    # where the row has no such run (index outputs, whole models, reference rows).
    in_dtype: Optional[Callable[[type], tuple[Run, Run]]] = None


@dataclass
class Spec:
    """A case before its inputs exist: --only picks specs by id, then only those are built."""
    id: str
    title: str
    build: Callable[..., Case]        # build(runtimes, quick) -> Case
    slow: bool = False                # left out of --quick unless --only names it


# --dtype's checks, relative to torchvision's largest magnitude: DESIGN.md's tolerances
# (float16 against torchvision in float32 on the same rounded inputs).
DTYPE_TOLERANCE = {"float16": 1e-2, "float64": 1e-10}


def close(rel: float = 1e-4) -> Callable[[list, list], Check]:
    """Float outputs within `rel` of torchvision's largest magnitude, output by output."""
    def check(actual: list, expected: list) -> Check:
        worst = 0.0
        if len(actual) != len(expected):
            return Check(False, f"{len(actual)} outputs, torchvision {len(expected)}")
        for a, e in zip(actual, expected):
            if a.shape != e.shape:
                return Check(False, f"shape {list(a.shape)}, torchvision {list(e.shape)}")
            diff = float(np.abs(a.astype(np.float64) - e).max(initial=0.0))
            scale = float(np.abs(e).max(initial=0.0))
            if not diff <= rel * scale + 1e-6:  # NaN fails too
                return Check(False, f"max abs diff {diff:.2g} (torchvision's max |y| {scale:.3g})",
                             diff)
            worst = max(worst, diff)
        return Check(True, f"max abs diff {worst:.1e}", worst)
    return check


def same_indices(actual: list, expected: list) -> Check:
    """Index outputs (NMS's keep) equal element for element, order included."""
    (a,), (e,) = actual, expected
    if np.array_equal(a, e):
        return Check(True, f"same {len(e)} indices", 0.0)
    if len(a) == len(e) and set(a.tolist()) == set(e.tolist()):
        return Check(False, f"same {len(e)} indices in another order")
    return Check(False, f"{len(a)} indices, torchvision {len(e)}, "
                        f"{len(set(a.tolist()) ^ set(e.tolist()))} differ")


def same_set(actual: list, expected: list) -> Check:
    """Index outputs holding the same indices, in any order: for peers whose order among
    equal scores is their own (torchvision's batched_nms merges classes with an unstable
    sort)."""
    (a,), (e,) = actual, expected
    if len(a) == len(e) and set(a.tolist()) == set(e.tolist()):
        return Check(True, f"same {len(e)} indices" + ("" if np.array_equal(a, e) else
                                                       ", tied scores in another order"), 0.0)
    return same_indices(actual, expected)
