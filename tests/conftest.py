"""Test session set-up.

Parity tests compare with torchvision run in this process. If torchvision's
compiled ops cannot run (a CPU-only torch build that torchvision was not built
against, say), every parity test would be meaningless: stop the whole run
with a failure instead of letting anything skip.
"""

import os
import re

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


@pytest.fixture(scope="session", autouse=True)
def shared_folder(tmp_path_factory):
    """A folder that every worker of this run sees (export_support.shared_by_workers):
    under pytest-xdist a worker's base folder is one of the run's own."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"
    shared.mkdir(exist_ok=True)
    os.environ["ORT_ROI_TEST_SHARED"] = str(shared)
    yield shared
    os.environ.pop("ORT_ROI_TEST_SHARED", None)


# Files whose tests build, export and run whole detectors, or build the
# package: minutes each, against seconds for most files. They start first,
# the detector files one detector per work unit (below), so that no long
# unit is left for the end while the other worker sits idle.
HEAVY = ("test_export_detectors", "test_export_raw_detectors", "test_cli", "test_packaging",
         "test_graph_tools")
# The files split by detector, and the parameter their tests take it as:
# always the first one in a test's id.
BY_DETECTOR = {"test_export_detectors": "name", "test_export_raw_detectors": "detector"}
_FIRST_ID = re.compile(r"\[(\w+)")


def work_unit(nodeid: str) -> str:
    """What pytest-xdist hands a worker at once under `--dist loadfile` (the
    Makefile's): a test file, or one detector's tests of a BY_DETECTOR file.
    A unit runs in one process, so what a file caches is computed once."""
    path, _, test = nodeid.partition("::")
    module = path.rsplit("/", 1)[-1].removesuffix(".py")
    first = _FIRST_ID.search(test)
    return f"{path}:{first.group(1)}" if module in BY_DETECTOR and first else path


def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None  # whatever else was asked for
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # the order below: HEAVY first
    return ByWorkUnit(config, log)


def pytest_collection_modifyitems(items):
    from ort_roi.export.models import DETECTORS

    heavy = {name: rank for rank, name in enumerate(HEAVY)}

    def order(item):
        module = item.module.__name__
        # test_export_raw_detectors.py runs detector by detector: its
        # module-scoped `detector` is parametrized per test function over
        # different case lists, which pytest's own grouping does not bring
        # together, and each detector costs its exports once.
        detector = (DETECTORS.index(item.callspec.params["detector"])
                    if module == "test_export_raw_detectors" else 0)
        return heavy.get(module, len(HEAVY)), detector

    items.sort(key=order)  # stable: the rest keep their order
    for item in items:
        parameter = BY_DETECTOR.get(item.module.__name__)
        if parameter and not work_unit(item.nodeid).endswith(":" + item.callspec.params[parameter]):
            raise pytest.UsageError(f"{item.nodeid}: its id does not start with its "
                                    f"{parameter!r}, which conftest.work_unit reads")
