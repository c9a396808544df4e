# Entry points, each of which sets everything up first:
#   make demo      build, install, run Mask R-CNN through ort_roi (ort-roi demo)
#   make test      build, install, run the test suite (then the parity suite in
#                  two older onnxruntime releases, and under ASan/UBSan)
#   make bench     build, install, time ort_roi against its peers (ort-roi bench)
# Everything goes into the virtual environment $(VENV); nothing else is touched.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

# A torch/torchvision pair whose compiled ops load. torch 2.13.0 from PyPI
# goes with torchvision 0.28.0; "!=2.13.0+cpu" stops pip from taking a
# CPU-only local build of 2.13.0 (some images prefer one), against which
# torchvision's ops do not load. Another pair goes into another venv with
# make install VENV=.venv-torch TORCH_PAIR='"torch==X" "torchvision==Y"'.
TORCH_PAIR := "torch==2.13.0,!=2.13.0+cpu" "torchvision==0.28.0"
# The oldest ONNX Runtime the library is built to load in (Debian trixie's
# headers, API 21), and the release onnxruntime-gpu pairs with below. The
# suite runs in the newest release pip gives; then the parity suite runs
# again in each of these (a --target install first on PYTHONPATH).
OLDEST_ORT := 1.21.0
PINNED_ORT := 1.31.1
# 1.23 is the release between the library's two ways of registering ops (see
# kernels/ort/custom_op.h): one that took the wrong one refused every session.
BOUNDARY_ORT := 1.23.0
PARITY_TESTS := tests/test_roi_pooling.py tests/test_roi_align.py tests/test_roi_align_levels.py \
	tests/test_roi_pool.py tests/test_ps_roi_align.py tests/test_ps_roi_pool.py \
	tests/test_channels_last_pool.py tests/test_multi_scale_roi_align.py tests/test_nms.py \
	tests/test_batched_nms.py tests/test_deform_conv2d.py tests/test_schemas.py \
	tests/test_ops_api.py tests/test_export_ops.py tests/test_export_multi_scale.py \
	tests/test_hostile_inputs.py

# pytest-xdist worker processes for the suites, each taking a whole test file
# at a time (a file's exported detectors are cached in its process), or one
# detector's tests of the two detector files, which start first
# (tests/conftest.py: work_unit). The detector exports are single-threaded
# Python, so two workers keep two cores busy. TEST_WORKERS=0 runs everything
# in one process.
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadfile

# onnxruntime-gpu (CUDA 13) for the GPU suite, beside the CPU wheel: it
# installs the same `onnxruntime` module, so it goes into its own folder.
ORT_GPU := 1.31.1
INSTALL_ORT_GPU := $(PIP) install -q --target $(VENV)/ort-gpu --no-deps "onnxruntime-gpu==$(ORT_GPU)"

.PHONY: setup install demo test test-sanitize test-gpu bench bench-gpu clean

$(VENV)/.deps: Makefile pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(TORCH_PAIR) "scikit-build-core>=0.10"
	$(PIP) install -q --target $(VENV)/ort-$(OLDEST_ORT) --no-deps "onnxruntime==$(OLDEST_ORT)"
	$(PIP) install -q --target $(VENV)/ort-$(PINNED_ORT) --no-deps "onnxruntime==$(PINNED_ORT)"
	$(PIP) install -q --target $(VENV)/ort-$(BOUNDARY_ORT) --no-deps "onnxruntime==$(BOUNDARY_ORT)"
	touch $@

setup: $(VENV)/.deps

# CUDA architectures to compile for, when not CMakeLists.txt's eight (Turing
# to Blackwell): make install CUDA_ARCHITECTURES="90-real". CI (CI=true),
# where no GPU runs them, compiles the two ends of that range only, machine
# code for the oldest and PTX for the newest: every kernel still goes
# through nvcc and ptxas, and no kernel has code that depends on the
# architecture (a clean build on two cores: 1 min 50 s, not 3 min 30 s).
ifeq ($(CI),true)
CUDA_ARCHITECTURES ?= 75-real;120-virtual
endif
# Passed even when empty (CMakeLists.txt's own list), or the build folder's
# cache would keep the last architectures asked for.
ARCH_OPTION := -C "cmake.define.ORT_ROI_CUDA_ARCHITECTURES=$(CUDA_ARCHITECTURES)"

# Re-run on every call: the build directory is kept, so only edits recompile.
install: setup
	$(PIP) install -q --no-build-isolation $(ARCH_OPTION) ".[export,test]"

demo: install
	$(VENV)/bin/ort-roi demo

test: install
	ORT_ROI_OLDEST_ORT=$(VENV)/ort-$(OLDEST_ORT) $(PY) -m pytest tests $(XDIST) --durations=25
	for v in $(OLDEST_ORT) $(BOUNDARY_ORT) $(PINNED_ORT); do \
	  ORT_ROI_EXPECT_ORT=$$v ORT_ROI_OLDEST_ORT=$(VENV)/ort-$(OLDEST_ORT) PYTHONPATH=$(VENV)/ort-$$v \
	    $(PY) -m pytest -q -p no:cacheprovider $(XDIST) $(PARITY_TESTS) || exit 1; \
	done
	$(MAKE) test-sanitize

# The CPU kernels built with AddressSanitizer and UndefinedBehaviorSanitizer,
# under the parity suite (the hostile-input cases among it, each in its own
# process, and NMS's, RoIAlign's and the pools' vector levels) and the CUDA
# kernels' thread bodies run over their launch grids on the host
# (libort_roi_host_grid, built with the same flags: where an out-of-bounds
# index in CUDA code shows without a GPU). Any report fails the run. Python
# is not instrumented, so the sanitizer runtime (and libstdc++, whose
# exceptions it intercepts) is preloaded; leak checking is off, since the
# interpreter itself never frees everything. Reports go to
# $(SANITIZE_BUILD)/reports as well as failing the test that triggered them.
SANITIZE_BUILD := build/sanitize
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# -O1 and line tables only (what a report's stack needs): a clean build on
# two cores 1 min 29 s against 2 min 27 s at -O2 -g, and the suite under it
# no slower (169 s against 172 s).
SANITIZE_OPT := -O1 -g1
SANITIZE_TESTS := $(PARITY_TESTS) $(wildcard tests/test_cuda_body_*.py)
test-sanitize: install
	cmake -S . -B $(SANITIZE_BUILD) -DORT_ROI_CUDA=OFF -DCMAKE_BUILD_TYPE=None \
	  -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS) $(SANITIZE_OPT)" -DCMAKE_SHARED_LINKER_FLAGS="$(SANITIZE_FLAGS)" >/dev/null
	cmake --build $(SANITIZE_BUILD) -j2
	rm -rf $(SANITIZE_BUILD)/reports && mkdir -p $(SANITIZE_BUILD)/reports
	status=0; \
	LD_PRELOAD="$$(g++ -print-file-name=libasan.so) $$(g++ -print-file-name=libstdc++.so)" \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$(CURDIR)/$(SANITIZE_BUILD)/reports/asan \
	  UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/$(SANITIZE_BUILD)/reports/ubsan \
	  ORT_ROI_LIBRARY=$(CURDIR)/$(SANITIZE_BUILD)/libort_roi.so ORT_ROI_OLDEST_ORT=$(VENV)/ort-$(OLDEST_ORT) \
	  $(PY) -m pytest -q -p no:cacheprovider $(XDIST) $(SANITIZE_TESTS) || status=$$?; \
	if [ -n "$$(ls $(SANITIZE_BUILD)/reports)" ]; then cat $(SANITIZE_BUILD)/reports/*; status=1; fi; \
	exit $$status

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
