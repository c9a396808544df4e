// AVX2 RoIAlign pooling from a channels-last map: a bin's samples are added
// for a chunk of channels at a time in vector registers, each lane in
// torchvision's order (see roi_align_channels_last.h; the plain C++
// reference is PoolRoiBlockPlain in roi_align_pool.cc). A block's last
// channels that fill no whole vector are added one at a time, same order.
#include <immintrin.h>

#include "common/roi_align_channels_last.h"

namespace ort_roi {
namespace {

struct FloatLanes {
  using T = float;
  using A = float;
  using V = __m256;
  static constexpr int kLanes = 8;
  static V Load(const T* p) { return _mm256_loadu_ps(p); }
  static void Store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static A LoadOne(const T* p) { return *p; }
  static void StoreOne(T* p, A a) { *p = a; }
  static V Set(A a) { return _mm256_set1_ps(a); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm256_div_ps(a, b); }
};

// float16 storage, float lanes: converting is exact one way and rounds to
// nearest even the other, as Load/Store<Half> do.
struct HalfLanes : FloatLanes {
  using T = Half;
  static V Load(const T* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static void Store(T* p, V v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                     _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  static A LoadOne(const T* p) { return _cvtsh_ss(p->bits); }
  static void StoreOne(T* p, A a) {
    p->bits = static_cast<uint16_t>(_cvtss_sh(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
};

struct DoubleLanes {
  using T = double;
  using A = double;
  using V = __m256d;
  static constexpr int kLanes = 4;
  static V Load(const T* p) { return _mm256_loadu_pd(p); }
  static void Store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static A LoadOne(const T* p) { return *p; }
  static void StoreOne(T* p, A a) { *p = a; }
  static V Set(A a) { return _mm256_set1_pd(a); }
  static V Add(V a, V b) { return _mm256_add_pd(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V Div(V a, V b) { return _mm256_div_pd(a, b); }
};

// Bin (ph, pw) for kVectors whole vectors of channels from `map` (already
// offset to the chunk).
template <typename L, int kVectors>
void PoolChunk(const RoiBlock<typename L::T, typename L::A>& r, int64_t ph, int64_t pw,
               const typename L::T* map, typename L::T* out) {
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
#pragma GCC unroll 8
      for (int v = 0; v < kVectors; ++v) {
        const int64_t o = v * L::kLanes;
        V s = L::Add(L::Mul(w1, L::Load(p1 + o)), L::Mul(w2, L::Load(p2 + o)));
        s = L::Add(s, L::Mul(w3, L::Load(p3 + o)));
        s = L::Add(s, L::Mul(w4, L::Load(p4 + o)));
        acc[v] = L::Add(acc[v], s);
      }
    }
  }
  const V count = L::Set(r.count);
  for (int v = 0; v < kVectors; ++v) L::Store(out + v * L::kLanes, L::Div(acc[v], count));
}

// The same for one channel.
template <typename L>
void PoolOne(const RoiBlock<typename L::T, typename L::A>& r, int64_t ph, int64_t pw,
             const typename L::T* map, typename L::T* out) {
  using A = typename L::A;
  A sum = A(0);
  for (int64_t iy = r.y_begin[ph]; iy < r.y_begin[ph + 1]; ++iy) {
    const RoiAxisTap<A> ty = r.y[iy];
    for (int64_t ix = r.x_begin[pw]; ix < r.x_begin[pw + 1]; ++ix) {
      const RoiAxisTap<A> tx = r.x[ix];
      const A w1 = ty.w_low * tx.w_low, w2 = ty.w_low * tx.w_high;
      const A w3 = ty.w_high * tx.w_low, w4 = ty.w_high * tx.w_high;
      sum += w1 * L::LoadOne(map + ty.low + tx.low) + w2 * L::LoadOne(map + ty.low + tx.high) +
             w3 * L::LoadOne(map + ty.high + tx.low) + w4 * L::LoadOne(map + ty.high + tx.high);
    }
  }
  L::StoreOne(out, sum / r.count);
}

// Up to kChunk vectors of accumulators per pass over a bin's samples (with
// the four weights and two temporaries, within AVX2's 16 registers).
constexpr int kChunk = 8;

template <typename L>
void PoolBin(const RoiBlock<typename L::T, typename L::A>& r, int64_t ph, int64_t pw,
             const typename L::T* map, typename L::T* out, int vectors) {
  switch (vectors) {
    case 1: PoolChunk<L, 1>(r, ph, pw, map, out); break;
    case 2: PoolChunk<L, 2>(r, ph, pw, map, out); break;
    case 3: PoolChunk<L, 3>(r, ph, pw, map, out); break;
    case 4: PoolChunk<L, 4>(r, ph, pw, map, out); break;
    case 5: PoolChunk<L, 5>(r, ph, pw, map, out); break;
    case 6: PoolChunk<L, 6>(r, ph, pw, map, out); break;
    case 7: PoolChunk<L, 7>(r, ph, pw, map, out); break;
    default: PoolChunk<L, kChunk>(r, ph, pw, map, out); break;
  }
}

template <typename L>
void PoolBlock(const RoiBlock<typename L::T, typename L::A>& r) {
  const int64_t whole = r.channels / L::kLanes * L::kLanes;
  for (int64_t c = 0; c < whole; c += kChunk * L::kLanes) {
    const int64_t left = (whole - c) / L::kLanes;
    const int vectors = static_cast<int>(left >= kChunk ? kChunk : left);
    for (int64_t ph = 0; ph < r.pooled_h; ++ph) {
      for (int64_t pw = 0; pw < r.pooled_w; ++pw) {
        PoolBin<L>(r, ph, pw, r.map + c, r.out + (ph * r.pooled_w + pw) * r.channels + c, vectors);
      }
    }
  }
  for (int64_t ph = 0; ph < r.pooled_h; ++ph) {
    for (int64_t pw = 0; pw < r.pooled_w; ++pw) {
      for (int64_t c = whole; c < r.channels; ++c) {
        PoolOne<L>(r, ph, pw, r.map + c, r.out + (ph * r.pooled_w + pw) * r.channels + c);
      }
    }
  }
}

}  // namespace

void PoolRoiBlockAvx2(const RoiBlock<float, float>& r) { PoolBlock<FloatLanes>(r); }
void PoolRoiBlockAvx2(const RoiBlock<double, double>& r) { PoolBlock<DoubleLanes>(r); }
void PoolRoiBlockAvx2(const RoiBlock<Half, float>& r) { PoolBlock<HalfLanes>(r); }

}  // namespace ort_roi
