// The column step of deform_conv_columns.h written once for every vector
// level: deform_conv_columns_avx2.cc and _avx512.cc each include this file
// inside their anonymous namespace, so that each compiles its own private
// copy with its own instructions (common/cpu_isa.h says why no copy may be
// shared). Before including it, a variant defines:
// - F32 and F64: V, kLanes, Gather (a masked gather of kLanes corners, an
//   index < 0 reading 0), Load, Store, Mul, Add;
// - for float's pair loads: PairTaps (top[kLanes], bottom[kLanes], inside[4],
//   top_load, bottom_load, edge), PreparePairs, LoadPairs, and Inside (a
//   vector of corners with the lanes outside zeroed).
// Nothing here includes a header; the variant includes <cstdint> and
// deform_conv_columns.h before.
#pragma once

// Every lane as the plain version (deform_conv_cpu.cc) computes it: four
// products summed left to right, times the mask, no fused multiply-adds.
template <typename Ops, typename A>
void Columns(const DeformColumnsArgs<A>& a) {
  const int64_t s = a.stride;
  for (int64_t p = a.p0; p < a.p1; ++p) {
    for (int64_t ch = 0; ch < a.channels; ++ch) {
      const A* plane = a.plane + ch * a.plane_stride;
      A* rows = a.out + p * a.panel_stride + ch * a.taps * a.nr;
      for (int64_t t = 0; t < a.taps; ++t) {
        const int32_t* index = a.index + t * 4 * s;
        const A* weight = a.weight + t * 4 * s;
        for (int64_t j = 0; j < a.nr; j += Ops::kLanes) {
          const int64_t q = p * a.nr + j;
          typename Ops::V sum = Ops::Mul(Ops::Load(weight + q), Ops::Gather(plane, index + q));
          for (int64_t k = 1; k < 4; ++k) {
            sum = Ops::Add(sum, Ops::Mul(Ops::Load(weight + k * s + q),
                                         Ops::Gather(plane, index + k * s + q)));
          }
          Ops::Store(rows + t * a.nr + j, Ops::Mul(Ops::Load(a.mask + t * s + q), sum));
        }
      }
    }
  }
}

// float, a vector of positions at a time, reading the two corners of a row
// with one 64-bit load: half the gathered elements of Columns<F32>. Per panel
// and tap, shared by all channels (PairTaps): the first element of each row
// pair (top: the row y_low, bottom: y_high), which corners are inside, and
// the pairs whose load would leave [0, extent) (a corner at the plane's first
// or last element, a column outside): those positions are redone one at a
// time.
constexpr int64_t kMaxPairs = 64;  // (tap, vector) pairs per panel, on the stack

// One position exactly as the plain version computes it.
float OnePosition(const DeformColumnsArgs<float>& a, const float* plane, int64_t t, int64_t q) {
  const int64_t s = a.stride;
  const int32_t* index = a.index + t * 4 * s;
  const float* weight = a.weight + t * 4 * s;
  float v[4];
  for (int64_t k = 0; k < 4; ++k) {
    const int32_t i = index[k * s + q];
    v[k] = i >= 0 ? plane[i] : 0.0f;
  }
  const float sum = weight[q] * v[0] + weight[s + q] * v[1] + weight[2 * s + q] * v[2] +
                    weight[3 * s + q] * v[3];
  return a.mask[t * s + q] * sum;
}

void ColumnsPairs(const DeformColumnsArgs<float>& a) {
  constexpr int64_t L = F32::kLanes;
  const int64_t s = a.stride, groups = a.nr / L;
  PairTaps pairs[kMaxPairs];
  for (int64_t p = a.p0; p < a.p1; ++p) {
    for (int64_t t = 0; t < a.taps; ++t) {
      for (int64_t v = 0; v < groups; ++v) {
        pairs[t * groups + v] = PreparePairs(a.index + t * 4 * s, s, p * a.nr + v * L, a.extent);
      }
    }
    for (int64_t ch = 0; ch < a.channels; ++ch) {
      const float* plane = a.plane + ch * a.plane_stride;
      float* rows = a.out + p * a.panel_stride + ch * a.taps * a.nr;
      for (int64_t t = 0; t < a.taps; ++t) {
        const float* weight = a.weight + t * 4 * s;
        for (int64_t v = 0; v < groups; ++v) {
          const PairTaps& pt = pairs[t * groups + v];
          const int64_t q = p * a.nr + v * L;
          F32::V c[4];
          LoadPairs(plane, pt.top, pt.top_load, &c[0], &c[1]);
          LoadPairs(plane, pt.bottom, pt.bottom_load, &c[2], &c[3]);
          F32::V sum = F32::Mul(F32::Load(weight + q), Inside(c[0], pt.inside[0]));
          for (int k = 1; k < 4; ++k) {
            sum = F32::Add(sum,
                           F32::Mul(F32::Load(weight + k * s + q), Inside(c[k], pt.inside[k])));
          }
          float* out = rows + t * a.nr + v * L;
          F32::Store(out, F32::Mul(F32::Load(a.mask + t * s + q), sum));
          for (unsigned edge = static_cast<unsigned>(pt.edge); edge != 0; edge &= edge - 1) {
            const int lane = __builtin_ctz(edge);
            out[lane] = OnePosition(a, plane, t, q + lane);
          }
        }
      }
    }
  }
}

// The pair loads where the panel's width and the plane's extent allow them.
void ColumnsFloat(const DeformColumnsArgs<float>& a) {
  constexpr int64_t L = F32::kLanes;
  if (a.nr % L == 0 && a.taps * (a.nr / L) <= kMaxPairs && a.extent <= INT32_MAX) {
    ColumnsPairs(a);
  } else {
    Columns<F32>(a);
  }
}
