// The column step of deform_conv_columns.h written once: deform_conv_cpu.cc
// (one lane: the plain reference), deform_conv_columns_avx2.cc and _avx512.cc
// each include this file inside their anonymous namespace, so that each
// compiles its own private copy with its own instructions (common/cpu_isa.h
// says why no copy may be shared). Before including it, a file defines F32
// and F64, each with V, kLanes, Set1, Load, Store, Mul and Add (kLanes 1: no
// vector loop at all). Nothing here includes a header; the file includes
// <cstdint> and deform_conv_columns.h before.
#pragma once

// `count` channels from channel c of one tap: kLanes at a time, then the
// rest one by one, every lane with the same operations in the same order.
template <typename Ops, typename A>
void SampleRun(const DeformCorners<A>& t, int64_t c, int64_t count, A* out) {
  const A* v0 = t.corner[0] + c;
  const A* v1 = t.corner[1] + c;
  const A* v2 = t.corner[2] + c;
  const A* v3 = t.corner[3] + c;
  int64_t j = 0;
  if constexpr (Ops::kLanes > 1) {
    const typename Ops::V w0 = Ops::Set1(t.weight[0]), w1 = Ops::Set1(t.weight[1]);
    const typename Ops::V w2 = Ops::Set1(t.weight[2]), w3 = Ops::Set1(t.weight[3]);
    const typename Ops::V mask = Ops::Set1(t.mask);
    for (; j + Ops::kLanes <= count; j += Ops::kLanes) {
      typename Ops::V sum = Ops::Mul(w0, Ops::Load(v0 + j));
      sum = Ops::Add(sum, Ops::Mul(w1, Ops::Load(v1 + j)));
      sum = Ops::Add(sum, Ops::Mul(w2, Ops::Load(v2 + j)));
      sum = Ops::Add(sum, Ops::Mul(w3, Ops::Load(v3 + j)));
      Ops::Store(out + j, Ops::Mul(mask, sum));
    }
  }
  for (; j < count; ++j) {
    out[j] = t.mask * (t.weight[0] * v0[j] + t.weight[1] * v1[j] + t.weight[2] * v2[j] +
                       t.weight[3] * v3[j]);
  }
}

// Every row's columns, in runs of channels that share one tap: a run ends at
// the slice's end, the group's last channel or the offset group's last one.
template <typename Ops, typename A>
void Columns(const DeformColumnsArgs<A>& a) {
  for (int64_t i = 0; i < a.rows; ++i) {
    const DeformCorners<A>* taps = a.corners + i * a.tap_rows;
    A* row = a.out + i * a.lda;
    for (int64_t k = a.k0; k < a.k0 + a.kc;) {
      const int64_t t = k / a.group_channels, ch = a.first_channel + k % a.group_channels;
      const int64_t og = ch / a.offset_group_channels;
      int64_t run = a.k0 + a.kc - k;
      if (run > a.group_channels - k % a.group_channels) run = a.group_channels - k % a.group_channels;
      if (run > (og + 1) * a.offset_group_channels - ch) run = (og + 1) * a.offset_group_channels - ch;
      SampleRun<Ops>(taps[og * a.taps + t], ch, run, row + (k - a.k0));
      k += run;
    }
  }
}
