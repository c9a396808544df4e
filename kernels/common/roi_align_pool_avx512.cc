// AVX-512 RoIAlign pooling from a channels-last map: a bin's samples are
// added for a chunk of channels at a time in vector registers, each lane in
// torchvision's order (see roi_align_channels_last.h; the plain C++
// reference is PoolRoiBlockPlain in roi_align_pool.cc). Masked loads and
// stores cover a block's last, partial vector.
#include <immintrin.h>

#include "common/roi_align_channels_last.h"

namespace ort_roi {
namespace {

struct FloatLanes {
  using T = float;
  using A = float;
  using V = __m512;
  using M = __mmask16;
  using Masks = const M*;
  static constexpr int kLanes = 16;
  static V Load(const T* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static void Store(T* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V Set(A a) { return _mm512_set1_ps(a); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm512_div_ps(a, b); }
};

// float16 storage, float lanes: converting is exact one way and rounds to
// nearest even the other, as Load/Store<Half> do.
struct HalfLanes : FloatLanes {
  using T = Half;
  // (The maskz forms: GCC 12 warns about the unmasked ones' undefined operand.)
  static V Load(const T* p, M m) {
    return _mm512_maskz_cvtph_ps(m, _mm256_maskz_loadu_epi16(m, p));
  }
  static void Store(T* p, M m, V v) {
    _mm256_mask_storeu_epi16(
        p, m, _mm512_maskz_cvtps_ph(m, v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
};

struct DoubleLanes {
  using T = double;
  using A = double;
  using V = __m512d;
  using M = __mmask8;
  using Masks = const M*;
  static constexpr int kLanes = 8;
  static V Load(const T* p, M m) { return _mm512_maskz_loadu_pd(m, p); }
  static void Store(T* p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static V Set(A a) { return _mm512_set1_pd(a); }
  static V Add(V a, V b) { return _mm512_add_pd(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V Div(V a, V b) { return _mm512_div_pd(a, b); }
};

// The bodies, written against the lanes types above.
#include "common/roi_align_pool_simd.h"

template <typename L>
void PoolBlock(const RoiBlock<typename L::T, typename L::A>& r) {
  using M = typename L::M;
  for (int64_t c = 0; c < r.channels; c += kChunk * L::kLanes) {
    const int64_t left = r.channels - c;
    const int vectors = static_cast<int>(
        left >= kChunk * L::kLanes ? kChunk : (left + L::kLanes - 1) / L::kLanes);
    M mask[kChunk];
    for (int v = 0; v < vectors; ++v) {
      const int64_t lanes = left - v * L::kLanes;
      mask[v] = lanes >= L::kLanes ? static_cast<M>(~M(0)) : static_cast<M>((1u << lanes) - 1u);
    }
    for (int64_t ph = 0; ph < r.pooled_h; ++ph) {
      for (int64_t pw = 0; pw < r.pooled_w; ++pw) {
        PoolBin<L>(r, ph, pw, r.map + c, r.out + (ph * r.pooled_w + pw) * r.channels + c, vectors,
                   mask);
      }
    }
  }
}

}  // namespace

void PoolRoiBlockAvx512(const RoiBlock<float, float>& r) { PoolBlock<FloatLanes>(r); }
void PoolRoiBlockAvx512(const RoiBlock<double, double>& r) { PoolBlock<DoubleLanes>(r); }
void PoolRoiBlockAvx512(const RoiBlock<Half, float>& r) { PoolBlock<HalfLanes>(r); }

}  // namespace ort_roi
