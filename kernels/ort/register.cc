// The library's only exported symbol. ONNX Runtime calls it from
// SessionOptions.register_custom_ops_library / RegisterCustomOpsLibrary.
#include <mutex>
#include <string>

#include "ort/custom_op.h"
#include "ort/op_helpers.h"
#include "ort/ops.h"

namespace {

// The domain must outlive every session that uses it, and every session
// options object may register it again: build it once, keep it forever.
Ort::CustomOpDomain& Domain() {
  static Ort::CustomOpDomain* domain = [] {
    auto* d = new Ort::CustomOpDomain("ort_roi");
    for (const OrtCustomOp* op : ort_roi::CpuOps()) d->Add(op);
    for (const OrtCustomOp* op : ort_roi::CudaOps()) d->Add(op);
    return d;
  }();
  return *domain;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) OrtStatus* ORT_API_CALL
RegisterCustomOps(OrtSessionOptions* options, const OrtApiBase* api_base) {
  // Ask for the API of the headers we were built against: every later ORT
  // still serves it, so one binary loads in all of them.
  const OrtApi* api = api_base->GetApi(ORT_API_VERSION);
  if (api == nullptr) {
    // Version 1 of the API exists in every release and can report the error.
    const std::string msg = std::string("ort_roi needs ONNX Runtime API version ") +
                            std::to_string(ORT_API_VERSION) + " or newer; this runtime is " +
                            api_base->GetVersionString();
    return api_base->GetApi(1)->CreateStatus(ORT_FAIL, msg.c_str());
  }
  static std::once_flag once;
  std::call_once(once, [api, api_base] {
    Ort::InitApi(api);
    // Before Domain() builds the ops, which ask what this release allows.
    ort_roi::SetOrtVersion(api_base->GetVersionString());
  });
  try {
    Ort::UnownedSessionOptions(options).Add(Domain());
  } catch (const Ort::Exception& e) {
    return api->CreateStatus(e.GetOrtErrorCode(), e.what());
  }
  return nullptr;
}
