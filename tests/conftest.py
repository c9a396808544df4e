"""Test session set-up.

Parity tests compare with torchvision run in this process. If torchvision's
compiled ops cannot run (a CPU-only torch build that torchvision was not built
against, say), every parity test would be meaningless: stop the whole run
with a failure instead of letting anything skip.
"""

import os

import pytest


def pytest_sessionstart(session):
    # `make test` reruns the parity suite in other onnxruntime releases by
    # putting them first on PYTHONPATH; make sure the one asked for is the
    # one that loaded, or that rerun would test the default release again.
    expected = os.environ.get("ORT_ROI_EXPECT_ORT")
    if expected:
        import onnxruntime

        if onnxruntime.__version__ != expected:
            pytest.exit(f"ORT_ROI_EXPECT_ORT={expected}, but onnxruntime {onnxruntime.__version__} "
                        f"loaded from {onnxruntime.__file__}", returncode=3)
    try:
        import torch
        import torchvision

        torchvision.ops.roi_align(torch.zeros(1, 1, 2, 2), torch.zeros(1, 5), 1)
    except Exception as e:  # any failure here means no reference to compare with
        pytest.exit(
            f"torchvision's compiled ops cannot run, so no parity test can: {type(e).__name__}: {e}\n"
            "Install a torch/torchvision pair that works (see the README: `make test` does).",
            returncode=3,
        )


def pytest_collection_modifyitems(items):
    """Runs test_export_raw_detectors.py detector by detector: its module-scoped
    `detector` is parametrized per test function over different case lists,
    which pytest's own grouping does not bring together, and each detector
    costs its exports once."""
    slots = [i for i, item in enumerate(items) if item.module.__name__ == "test_export_raw_detectors"]
    if not slots:
        return
    from ort_roi.export.models import DETECTORS

    raw = sorted((items[i] for i in slots),
                 key=lambda item: DETECTORS.index(item.callspec.params["detector"]))
    for i, item in zip(slots, raw):
        items[i] = item
