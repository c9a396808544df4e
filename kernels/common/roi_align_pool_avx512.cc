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
  static constexpr int kLanes = 8;
  static V Load(const T* p, M m) { return _mm512_maskz_loadu_pd(m, p); }
  static void Store(T* p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static V Set(A a) { return _mm512_set1_pd(a); }
  static V Add(V a, V b) { return _mm512_add_pd(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V Div(V a, V b) { return _mm512_div_pd(a, b); }
};

// Bin (ph, pw) for kVectors vectors of channels from `map` (already offset
// to the chunk), lanes past the block's end masked off.
template <typename L, int kVectors>
void PoolChunk(const RoiBlock<typename L::T, typename L::A>& r, int64_t ph, int64_t pw,
               const typename L::T* map, typename L::T* out, const typename L::M* mask) {
  using A = typename L::A;
  using V = typename L::V;
  V acc[kVectors];
  for (int v = 0; v < kVectors; ++v) acc[v] = L::Set(A(0));
  for (int64_t iy = r.y_begin[ph]; iy < r.y_begin[ph + 1]; ++iy) {
    const RoiAxisTap<A> ty = r.y[iy];
    for (int64_t ix = r.x_begin[pw]; ix < r.x_begin[pw + 1]; ++ix) {
      const RoiAxisTap<A> tx = r.x[ix];
      const V w1 = L::Set(ty.w_low * tx.w_low), w2 = L::Set(ty.w_low * tx.w_high);
      const V w3 = L::Set(ty.w_high * tx.w_low), w4 = L::Set(ty.w_high * tx.w_high);
      const typename L::T* p1 = map + ty.low + tx.low;
      const typename L::T* p2 = map + ty.low + tx.high;
      const typename L::T* p3 = map + ty.high + tx.low;
      const typename L::T* p4 = map + ty.high + tx.high;
#pragma GCC unroll 16
      for (int v = 0; v < kVectors; ++v) {
        const int64_t o = v * L::kLanes;
        V s = L::Add(L::Mul(w1, L::Load(p1 + o, mask[v])), L::Mul(w2, L::Load(p2 + o, mask[v])));
        s = L::Add(s, L::Mul(w3, L::Load(p3 + o, mask[v])));
        s = L::Add(s, L::Mul(w4, L::Load(p4 + o, mask[v])));
        acc[v] = L::Add(acc[v], s);
      }
    }
  }
  const V count = L::Set(r.count);
  for (int v = 0; v < kVectors; ++v) L::Store(out + v * L::kLanes, mask[v], L::Div(acc[v], count));
}

// Up to kChunk vectors of accumulators per pass over a bin's samples.
constexpr int kChunk = 8;

template <typename L>
void PoolBin(const RoiBlock<typename L::T, typename L::A>& r, int64_t ph, int64_t pw,
             const typename L::T* map, typename L::T* out, int vectors,
             const typename L::M* mask) {
  switch (vectors) {
    case 1: PoolChunk<L, 1>(r, ph, pw, map, out, mask); break;
    case 2: PoolChunk<L, 2>(r, ph, pw, map, out, mask); break;
    case 3: PoolChunk<L, 3>(r, ph, pw, map, out, mask); break;
    case 4: PoolChunk<L, 4>(r, ph, pw, map, out, mask); break;
    case 5: PoolChunk<L, 5>(r, ph, pw, map, out, mask); break;
    case 6: PoolChunk<L, 6>(r, ph, pw, map, out, mask); break;
    case 7: PoolChunk<L, 7>(r, ph, pw, map, out, mask); break;
    default: PoolChunk<L, kChunk>(r, ph, pw, map, out, mask); break;
  }
}

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
