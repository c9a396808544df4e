// The bin loop of RoIAlign's channels-last pooling written once for every
// vector level: roi_align_pool_avx2.cc and _avx512.cc each include this file
// inside their anonymous namespace, so that each compiles its own private
// copy with its own instructions (cpu_isa.h says why no copy may be shared).
// The lanes type L a variant passes defines T (storage), A (arithmetic), V,
// M (a lane mask), Masks (what a chunk's masks come as: mask[v] is vector v's
// M), kLanes, Load(p, m), Store(p, m, v), Set, Add, Mul, Div. Nothing here
// includes a header; the variant includes roi_align_channels_last.h before.
#pragma once

// Bin (ph, pw) for kVectors vectors of channels from `map` (already offset
// to the chunk), vector v under mask[v].
template <typename L, int kVectors>
void PoolChunk(const RoiBlock<typename L::T, typename L::A>& r, int64_t ph, int64_t pw,
               const typename L::T* map, typename L::T* out, typename L::Masks mask) {
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

// Up to kChunk vectors of accumulators per pass over a bin's samples (with
// the four weights and two temporaries, within AVX2's 16 registers).
constexpr int kChunk = 8;

template <typename L>
void PoolBin(const RoiBlock<typename L::T, typename L::A>& r, int64_t ph, int64_t pw,
             const typename L::T* map, typename L::T* out, int vectors,
             typename L::Masks mask) {
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
