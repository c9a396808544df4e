// The one way binding files include ONNX Runtime's C++ API. The API table is
// not linked but handed to RegisterCustomOps, hence ORT_API_MANUAL_INIT.
#pragma once

#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>
#undef ORT_API_MANUAL_INIT
