#include "npy.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace {

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// Where the value of `key` starts in the header, a Python dict literal such
// as {'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }.
size_t ValueStart(const std::string& header, const std::string& key, const std::string& path) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) Fail(path, "the .npy header has no '" + key + "'");
  at = header.find(':', at);
  if (at == std::string::npos) Fail(path, "the .npy header is malformed at '" + key + "'");
  return header.find_first_not_of(' ', at + 1);
}

std::string Descr(const std::string& header, const std::string& path) {
  size_t open = ValueStart(header, "descr", path);
  size_t close = open == std::string::npos ? open : header.find('\'', open + 1);
  if (close == std::string::npos || header[open] != '\'') Fail(path, "the .npy header's descr is not a string");
  return header.substr(open + 1, close - open - 1);
}

std::vector<int64_t> Shape(const std::string& header, const std::string& path) {
  size_t open = ValueStart(header, "shape", path);
  size_t close = open == std::string::npos ? open : header.find(')', open);
  if (close == std::string::npos || header[open] != '(') Fail(path, "the .npy header's shape is not a tuple");
  std::vector<int64_t> shape;
  const char* p = header.c_str() + open + 1;
  const char* end = header.c_str() + close;
  while (p < end) {
    char* next = nullptr;
    long long dim = std::strtoll(p, &next, 10);
    if (next == p) {  // a separator or the trailing comma of a 1-tuple
      ++p;
      continue;
    }
    if (dim < 0) Fail(path, "the .npy header has a negative dimension");
    shape.push_back(dim);
    p = next;
  }
  return shape;
}

}  // namespace

size_t ElementSize(const std::string& dtype) { return dtype == "<f4" ? 4 : 8; }

NpyArray ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, "cannot be opened");
  std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string magic = "\x93NUMPY";
  if (file.size() < 10 || std::string(file.data(), 6) != magic) Fail(path, "is not a .npy file");
  const auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(file[i])); };
  // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4.
  size_t header_at = byte(6) == 1 ? 10 : 12;
  size_t header_len = byte(8) | byte(9) << 8;
  if (byte(6) != 1) {
    if (file.size() < 12) Fail(path, "is not a .npy file");
    header_len |= byte(10) << 16 | byte(11) << 24;
  }
  if (file.size() < header_at + header_len) Fail(path, "is shorter than its .npy header says");
  const std::string header(file.data() + header_at, header_len);

  NpyArray array;
  array.dtype = Descr(header, path);
  if (array.dtype != "<f4" && array.dtype != "<f8" && array.dtype != "<i8") {
    Fail(path, "has dtype '" + array.dtype + "'; the consumer reads float32, float64 and int64 (little-endian)");
  }
  size_t order = ValueStart(header, "fortran_order", path);
  if (header.compare(order, 5, "False") != 0) Fail(path, "is in Fortran order; save it in C order");
  array.shape = Shape(header, path);

  size_t count = 1;
  for (int64_t dim : array.shape) count *= static_cast<size_t>(dim);
  size_t data_at = header_at + header_len;
  if (file.size() - data_at != count * ElementSize(array.dtype)) {
    Fail(path, "holds " + std::to_string(file.size() - data_at) + " bytes of data where its shape needs " +
                   std::to_string(count * ElementSize(array.dtype)));
  }
  array.bytes.assign(file.begin() + data_at, file.end());
  return array;
}
