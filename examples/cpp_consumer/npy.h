// Reads NumPy .npy files: the consumer's inputs and expected outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct NpyArray {
  std::string dtype;  // "<f4", "<f8" or "<i8": the element types the consumer compares
  std::vector<int64_t> shape;
  std::vector<char> bytes;  // the elements in C order
};

// Throws std::runtime_error naming the file and what is wrong with it.
NpyArray ReadNpy(const std::string& path);

// Bytes per element of a dtype ReadNpy accepts.
size_t ElementSize(const std::string& dtype);
