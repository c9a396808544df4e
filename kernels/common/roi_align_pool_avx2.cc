// AVX2 RoIAlign pooling from a channels-last map: a bin's samples are added
// for a chunk of channels at a time in vector registers, each lane in
// torchvision's order (see roi_align_channels_last.h; the plain C++
// reference is PoolRoiBlockPlain in roi_align_pool.cc). A block's last
// channels that fill no whole vector are added one at a time, same order.
#include <immintrin.h>

#include "common/roi_align_channels_last.h"

namespace ort_roi {
namespace {

// Only whole vectors go through the lanes types here: the mask of every load
// and store is this empty one, and a chunk's masks are all of them (passed
// by value, an empty struct takes no register).
struct Whole {
  Whole operator[](int) const { return *this; }
};

struct FloatLanes {
  using T = float;
  using A = float;
  using V = __m256;
  static constexpr int kLanes = 8;
  using M = Whole;
  using Masks = Whole;
  static V Load(const T* p, M) { return _mm256_loadu_ps(p); }
  static void Store(T* p, M, V v) { _mm256_storeu_ps(p, v); }
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
  static V Load(const T* p, M) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static void Store(T* p, M, V v) {
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
  using M = Whole;
  using Masks = Whole;
  static V Load(const T* p, M) { return _mm256_loadu_pd(p); }
  static void Store(T* p, M, V v) { _mm256_storeu_pd(p, v); }
  static A LoadOne(const T* p) { return *p; }
  static void StoreOne(T* p, A a) { *p = a; }
  static V Set(A a) { return _mm256_set1_pd(a); }
  static V Add(V a, V b) { return _mm256_add_pd(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V Div(V a, V b) { return _mm256_div_pd(a, b); }
};

// The bodies, written against the lanes types above.
#include "common/roi_align_pool_simd.h"

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

template <typename L>
void PoolBlock(const RoiBlock<typename L::T, typename L::A>& r) {
  const int64_t whole = r.channels / L::kLanes * L::kLanes;
  for (int64_t c = 0; c < whole; c += kChunk * L::kLanes) {
    const int64_t left = (whole - c) / L::kLanes;
    const int vectors = static_cast<int>(left >= kChunk ? kChunk : left);
    for (int64_t ph = 0; ph < r.pooled_h; ++ph) {
      for (int64_t pw = 0; pw < r.pooled_w; ++pw) {
        PoolBin<L>(r, ph, pw, r.map + c, r.out + (ph * r.pooled_w + pw) * r.channels + c, vectors,
                   Whole());
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
