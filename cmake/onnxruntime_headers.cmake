# Finds ONNX Runtime's C/C++ headers (the PyPI wheel ships none), in order:
#   1. ONNXRUNTIME_ROOT (CMake variable or environment): <root>/include[/onnxruntime]
#   2. a system package such as Debian's libonnxruntime-dev
#   3. the project's fetch step: Debian's libonnxruntime-dev through the
#      machine's configured Debian mirror (scripts/fetch_ort_headers.py)
# Sets ORT_ROI_ORT_INCLUDE_DIR and ORT_ROI_ORT_API_VERSION.

if(NOT ONNXRUNTIME_ROOT AND DEFINED ENV{ONNXRUNTIME_ROOT})
  set(ONNXRUNTIME_ROOT $ENV{ONNXRUNTIME_ROOT})
endif()

if(ONNXRUNTIME_ROOT)
  find_path(ORT_ROI_ORT_INCLUDE_DIR onnxruntime_c_api.h
    PATHS ${ONNXRUNTIME_ROOT}/include/onnxruntime ${ONNXRUNTIME_ROOT}/include
    NO_DEFAULT_PATH)
  if(NOT ORT_ROI_ORT_INCLUDE_DIR)
    message(FATAL_ERROR "ONNXRUNTIME_ROOT=${ONNXRUNTIME_ROOT} holds no onnxruntime_c_api.h")
  endif()
else()
  find_path(ORT_ROI_ORT_INCLUDE_DIR onnxruntime_c_api.h
    PATH_SUFFIXES onnxruntime onnxruntime/core/session)
endif()

if(NOT ORT_ROI_ORT_INCLUDE_DIR)
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  set(_dest ${CMAKE_BINARY_DIR}/onnxruntime_headers)
  message(STATUS "ort_roi: no ONNX Runtime headers found; fetching Debian's libonnxruntime-dev")
  execute_process(
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/../scripts/fetch_ort_headers.py ${_dest}
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "ort_roi: could not fetch ONNX Runtime headers; set ONNXRUNTIME_ROOT "
                        "or install libonnxruntime-dev")
  endif()
  unset(ORT_ROI_ORT_INCLUDE_DIR CACHE)
  find_path(ORT_ROI_ORT_INCLUDE_DIR onnxruntime_c_api.h PATHS ${_dest} NO_DEFAULT_PATH)
endif()

file(STRINGS ${ORT_ROI_ORT_INCLUDE_DIR}/onnxruntime_c_api.h _ver REGEX "^#define ORT_API_VERSION [0-9]+")
string(REGEX REPLACE ".* ([0-9]+)$" "\\1" ORT_ROI_ORT_API_VERSION "${_ver}")
message(STATUS "ort_roi: ONNX Runtime headers in ${ORT_ROI_ORT_INCLUDE_DIR} (API ${ORT_ROI_ORT_API_VERSION})")
