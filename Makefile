# Entry points, each of which sets everything up first:
#   make demo      build, install, run Mask R-CNN through ort_roi (ort-roi demo)
#   make test      build, install, run the test suite
#   make bench     build, install, time ort_roi against its peers (ort-roi bench)
# Everything goes into the virtual environment $(VENV); nothing else is touched.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

# A torch/torchvision pair whose compiled ops load. torch 2.13.0 from PyPI
# goes with torchvision 0.28.0; "!=2.13.0+cpu" stops pip from taking a
# CPU-only local build of 2.13.0 (some images prefer one), against which
# torchvision's ops do not load.
TORCH_PAIR := "torch==2.13.0,!=2.13.0+cpu" "torchvision==0.28.0"
# The oldest ONNX Runtime the library is built to load in (Debian trixie's
# headers, API 21); the tests load the library in it as well as in the newest.
OLDEST_ORT := 1.21.0

# onnxruntime-gpu (CUDA 13) for the GPU suite, beside the CPU wheel: it
# installs the same `onnxruntime` module, so it goes into its own folder.
ORT_GPU := 1.31.1
INSTALL_ORT_GPU := $(PIP) install -q --target $(VENV)/ort-gpu --no-deps "onnxruntime-gpu==$(ORT_GPU)"

.PHONY: setup install demo test test-gpu bench bench-gpu clean

$(VENV)/.deps: Makefile pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(TORCH_PAIR) "scikit-build-core>=0.10"
	$(PIP) install -q --target $(VENV)/ort-$(OLDEST_ORT) --no-deps "onnxruntime==$(OLDEST_ORT)"
	touch $@

setup: $(VENV)/.deps

# Re-run on every call: the build directory is kept, so only edits recompile.
install: setup
	$(PIP) install -q --no-build-isolation ".[export,test]"

demo: install
	$(VENV)/bin/ort-roi demo

test: install
	ORT_ROI_OLDEST_ORT=$(VENV)/ort-$(OLDEST_ORT) $(PY) -m pytest tests

# The CUDA kernels on a machine with an NVIDIA GPU (gpu_tests/conftest.py
# says what is missing when it cannot run).
test-gpu: install
	$(INSTALL_ORT_GPU)
	PYTHONPATH=$(VENV)/ort-gpu $(PY) -m pytest gpu_tests

# ort_roi on the CPU against torchvision, ONNX Runtime's own ops and OpenVINO
# (ort-roi bench: several minutes on two cores); BENCH_ARGS passes options on
# (make bench BENCH_ARGS="--only nms --repeat 15").
bench: setup
	$(PIP) install -q --no-build-isolation ".[export,test,bench]"
	$(VENV)/bin/ort-roi bench --json bench.json --markdown bench.md --png bench.png $(BENCH_ARGS)

# ort_roi's CUDA kernels timed against torchvision's and ORT's on that machine;
# BENCH_ARGS passes options on (make bench-gpu BENCH_ARGS="--json cuda.json").
bench-gpu: install
	$(INSTALL_ORT_GPU)
	PYTHONPATH=$(VENV)/ort-gpu $(PY) benchmarks/bench_cuda.py $(BENCH_ARGS)

clean:
	rm -rf build $(VENV)
