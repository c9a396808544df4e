// The result of a check or a launch: ok, an invalid-argument message for the
// user, or a failure of the device (a CUDA error). Kernels and checks return
// this instead of any runtime's status type, so they stay free of ONNX
// Runtime and can be driven from plain C++ or ctypes.
#pragma once

#include <sstream>
#include <string>
#include <utility>

namespace ort_roi {

class Status {
 public:
  static Status Ok() { return Status(); }
  static Status Invalid(std::string message) { return Status(std::move(message), true); }
  static Status DeviceError(std::string message) { return Status(std::move(message), false); }

  bool ok() const { return !failed_; }
  bool invalid_argument() const { return invalid_; }
  const std::string& message() const { return message_; }

 private:
  Status() = default;
  Status(std::string message, bool invalid)
      : failed_(true), invalid_(invalid), message_(std::move(message)) {}
  bool failed_ = false;
  bool invalid_ = false;
  std::string message_;
};

// Builds "<op>: <parts...>" messages: Invalid("RoIAlign", "input 'rois' row ", k, ...).
template <typename... Parts>
Status Invalid(const char* op, const Parts&... parts) {
  std::ostringstream s;
  s << op << ": ";
  (s << ... << parts);
  return Status::Invalid(s.str());
}

}  // namespace ort_roi

// Returns early from the enclosing function when a check fails.
#define ORT_ROI_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::ort_roi::Status _st = (expr);          \
    if (!_st.ok()) return _st;               \
  } while (0)
