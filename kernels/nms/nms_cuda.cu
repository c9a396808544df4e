// NMS on CUDA: the launches of nms_cuda_body.h's thread bodies, cub's radix
// sort in between, and the one wait for the count.
#include <cub/device/device_radix_sort.cuh>

#include "common/cuda_launch.cuh"
#include "common/scratch.h"
#include "nms/nms_cuda_body.h"
#include "nms/nms_cuda_core.h"

namespace ort_roi {

namespace {

constexpr const char* kOp = "NMS";

template <typename T>
using KeyOf = typename NmsKey<typename Acc<T>::type>::type;

template <typename T>
__global__ void NmsKeyKernel(const T* scores, KeyOf<T>* keys, int64_t* index, int64_t n) {
  ORT_ROI_GRID_STRIDE(i, n) { NmsKeyThread(scores, keys, index, i); }
}

template <typename T>
__global__ void NmsGatherKernel(const int64_t* order, const T* boxes, const int64_t* classes,
                                typename Acc<T>::type* sorted, int64_t* sorted_classes,
                                int64_t n) {
  ORT_ROI_GRID_STRIDE(r, n) { NmsGatherThread(order, boxes, classes, sorted, sorted_classes, r); }
}

template <typename A>
__global__ void NmsMaskKernel(const A* sorted, const int64_t* classes, int64_t n, A threshold,
                              NmsChunk chunk, uint64_t* mask, int64_t threads) {
  ORT_ROI_GRID_STRIDE(i, threads) { NmsMaskThread(sorted, classes, n, threshold, chunk, mask, i); }
}

// One block of kNmsReduceThreads threads, the chunk's rows 64 at a time:
// see nms_cuda_body.h's greedy pass.
__global__ void __launch_bounds__(kNmsReduceThreads)
    NmsReduceKernel(const uint64_t* mask, NmsChunk chunk, const int64_t* order, uint64_t* removed,
                    int64_t* keep, int64_t* count) {
  __shared__ uint64_t diagonal[kNmsBlock];
  __shared__ uint64_t kept;
  const int t = static_cast<int>(threadIdx.x);
  int64_t kept_before = *count;  // read by all before thread 0 writes it, past the barriers
  const int64_t row_end = chunk.row_begin + chunk.rows;
  if (t < kNmsBlock) diagonal[t] = NmsDiagonalWord(mask, chunk, chunk.first_block, t);
  for (int64_t block = chunk.first_block; block * kNmsBlock < row_end; ++block) {
    // Orders the diagonal, and the block before's writes to `removed`,
    // before this block's decision reads them.
    __syncthreads();
    if (t == 0) kept = NmsKeptInBlock(diagonal, removed[block], NmsRowsInBlock(chunk, block));
    __syncthreads();
    const uint64_t block_kept = kept;
    // The next block's diagonal: thread 0 is done with this one.
    if (t < kNmsBlock && (block + 1) * kNmsBlock < row_end) {
      diagonal[t] = NmsDiagonalWord(mask, chunk, block + 1, t);
    }
    if (block_kept != 0) {
      NmsApplyBlockThread<kNmsReduceThreads>(mask, chunk, block, block_kept, kept_before, order,
                                             keep, removed, t);
    }
    kept_before += NmsPopCount(block_kept);
  }
  if (t == 0) *count = kept_before;
}

// The scratch of one call, laid out on `layout` (see ScratchLayout).
template <typename T>
struct NmsScratch {
  using A = typename Acc<T>::type;
  KeyOf<T>*keys_in, *keys_out;
  int64_t *index, *order;
  A* sorted;                // [n, 4] in score order
  int64_t* sorted_classes;  // [n] or null
  uint64_t* removed;        // [col_blocks]
  uint64_t* mask;           // one chunk
  int64_t *keep, *count;
  void* sort_temp;
  size_t sort_temp_bytes;

  NmsScratch(ScratchLayout* layout, int64_t n, bool with_classes) {
    keys_in = layout->Take<KeyOf<T>>(n);
    keys_out = layout->Take<KeyOf<T>>(n);
    index = layout->Take<int64_t>(n);
    order = layout->Take<int64_t>(n);
    sorted = layout->Take<A>(4 * n);
    sorted_classes = with_classes ? layout->Take<int64_t>(n) : nullptr;
    removed = layout->Take<uint64_t>(NmsColBlocks(n));
    mask = layout->Take<uint64_t>(NmsMaskWords(n));
    keep = layout->Take<int64_t>(n);
    count = layout->Take<int64_t>(1);
    // cub's own scratch: its size for n pairs, asked with no memory.
    sort_temp_bytes = 0;
    cub::DeviceRadixSort::SortPairsDescending(nullptr, sort_temp_bytes, keys_in, keys_out, index,
                                              order, n);
    sort_temp = layout->TakeBytes(sort_temp_bytes);
  }
};

}  // namespace

template <typename T>
size_t NmsCudaScratchBytes(int64_t n, bool with_classes) {
  ScratchLayout layout;
  NmsScratch<T>(&layout, n, with_classes);
  return layout.bytes();
}

template <typename T>
Status NmsCudaLaunch(const NmsParams& p, int64_t n, const T* boxes, const T* scores,
                     const int64_t* classes, void* scratch, void* stream, NmsDeviceKeep* out) {
  using A = typename Acc<T>::type;
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  ScratchLayout layout(scratch);
  NmsScratch<T> b(&layout, n, classes != nullptr);

  // The stable sort: cub's radix sort of the keys, indices alongside.
  NmsKeyKernel<<<Blocks(n), kThreadsPerBlock, 0, s>>>(scores, b.keys_in, b.index, n);
  cudaError_t e = cub::DeviceRadixSort::SortPairsDescending(
      b.sort_temp, b.sort_temp_bytes, b.keys_in, b.keys_out, b.index, b.order, n, 0,
      static_cast<int>(8 * sizeof(KeyOf<T>)), s);
  if (e != cudaSuccess) return CudaStatus(kOp, e);
  NmsGatherKernel<<<Blocks(n), kThreadsPerBlock, 0, s>>>(b.order, boxes, classes, b.sorted,
                                                        b.sorted_classes, n);

  cudaMemsetAsync(b.removed, 0, NmsColBlocks(n) * sizeof(uint64_t), s);
  cudaMemsetAsync(b.count, 0, sizeof(int64_t), s);
  const A threshold = ThresholdIn<A>(p.iou_threshold);
  const int64_t chunk_rows = NmsChunkRows(n);
  for (int64_t row = 0; row < n; row += chunk_rows) {
    const NmsChunk chunk = NmsChunkAt(n, chunk_rows, row);
    const int64_t threads = NmsMaskThreads(chunk);
    NmsMaskKernel<<<Blocks(threads), kThreadsPerBlock, 0, s>>>(
        b.sorted, b.sorted_classes, n, threshold, chunk, b.mask, threads);
    NmsReduceKernel<<<1, kNmsReduceThreads, 0, s>>>(b.mask, chunk, b.order, b.removed, b.keep,
                                                    b.count);
  }
  out->keep = b.keep;
  out->count = b.count;
  return CudaStatus(kOp, cudaGetLastError());
}

Status NmsCudaFinish(const char* op, const NmsDeviceKeep& keep, const KeepOutput& keep_output,
                     void* stream) {
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  int64_t count = 0;
  cudaMemcpyAsync(&count, keep.count, sizeof count, cudaMemcpyDeviceToHost, s);
  // The one wait of the call: the output's length is the count.
  const cudaError_t e = cudaStreamSynchronize(s);
  if (e != cudaSuccess) return CudaStatus(op, e);
  int64_t* y = keep_output(count);
  // The copy reads scratch that the caller frees when Compute returns: safe,
  // as the scratch is tagged with this stream (ort/device_scratch.h).
  if (count > 0) {
    cudaMemcpyAsync(y, keep.keep, count * sizeof(int64_t), cudaMemcpyDeviceToDevice, s);
  }
  return CudaStatus(op, cudaGetLastError());
}

template <typename T>
Status NmsCuda(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
               const DeviceScratch& scratch, const KeepOutput& keep_output, void* stream) {
  if (num_boxes == 0) {
    keep_output(0);
    return Status::Ok();
  }
  void* memory = scratch(NmsCudaScratchBytes<T>(num_boxes, false));
  NmsDeviceKeep keep;
  ORT_ROI_RETURN_IF_ERROR(
      NmsCudaLaunch(p, num_boxes, boxes, scores, nullptr, memory, stream, &keep));
  return NmsCudaFinish(kOp, keep, keep_output, stream);
}

#define ORT_ROI_INSTANTIATE_NMS_CUDA(T)                                                         \
  template size_t NmsCudaScratchBytes<T>(int64_t, bool);                                        \
  template Status NmsCudaLaunch<T>(const NmsParams&, int64_t, const T*, const T*,               \
                                   const int64_t*, void*, void*, NmsDeviceKeep*);               \
  template Status NmsCuda<T>(const NmsParams&, int64_t, const T*, const T*,                     \
                             const DeviceScratch&, const KeepOutput&, void*);
ORT_ROI_INSTANTIATE_NMS_CUDA(float)
ORT_ROI_INSTANTIATE_NMS_CUDA(double)
ORT_ROI_INSTANTIATE_NMS_CUDA(Half)
#undef ORT_ROI_INSTANTIATE_NMS_CUDA

}  // namespace ort_roi
