"""Every op against torchvision, in the process's ORT_ROI_ISA level: run by
tests/test_cpu_isa.py once per level, in a subprocess, because the level is
read once per process.

    ORT_ROI_ISA=avx2 python tests/isa_parity.py    # prints the level, then one line per case

Channel counts and roi counts are chosen to leave vector tails (1, 3, 17,
and 16*k+1 channels) and to cover every dtype; exits 1 on any mismatch.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
import torchvision.ops as tvo

import ort_roi.ops as ops

TOL = {np.float32: 1e-5, np.float64: 1e-12, np.float16: 2e-3}
failures: list[str] = []


def compare(name: str, ours: np.ndarray, theirs: torch.Tensor, dtype) -> None:
    want = theirs.detach().numpy()
    ok = ours.shape == want.shape and np.allclose(ours.astype(np.float64), want.astype(np.float64),
                                                  rtol=TOL[dtype], atol=TOL[dtype], equal_nan=True)
    print(f"{'ok ' if ok else 'OFF'} {name} {np.dtype(dtype).name} {ours.shape}")
    if not ok:
        failures.append(name)


def boxes(rng, k: int, n: int, h: int, w: int) -> np.ndarray:
    xy = rng.uniform(-4, [w, h], (k, 2))
    wh = rng.uniform(0, [w / 2, h / 2], (k, 2))
    return np.concatenate([rng.integers(0, n, (k, 1)), xy, xy + wh], 1)


def roi_family(rng, dtype) -> None:
    for c in (1, 3, 17, 33):
        x = rng.standard_normal((2, c * 4, 13, 19)).astype(dtype)
        r = boxes(rng, 11, 2, 13, 19).astype(dtype)
        tx, tr = torch.from_numpy(x.astype(np.float64)), torch.from_numpy(r.astype(np.float64))
        compare(f"roi_align c={c * 4}", ops.roi_align(x, r, (3, 2), 0.5, 2, True),
                tvo.roi_align(tx, tr, (3, 2), 0.5, 2, True), dtype)
        compare(f"roi_align sr=-1 c={c * 4}", ops.roi_align(x, r, 5, 1.0, -1, False),
                tvo.roi_align(tx, tr, 5, 1.0, -1, False), dtype)
        compare(f"roi_pool c={c * 4}", ops.roi_pool(x, r, (2, 3), 0.5),
                tvo.roi_pool(tx, tr, (2, 3), 0.5), dtype)
        compare(f"ps_roi_align c={c}", ops.ps_roi_align(x, r, 2, 0.5, 2),
                tvo.ps_roi_align(tx, tr, 2, 0.5, 2), dtype)
        compare(f"ps_roi_pool c={c}", ops.ps_roi_pool(x, r, 2, 0.5),
                tvo.ps_roi_pool(tx, tr, 2, 0.5), dtype)


def multi_scale(rng, dtype) -> None:
    for c in (1, 17):
        maps = [rng.standard_normal((1, c, 64 // s, 96 // s)).astype(dtype) for s in (4, 8, 16, 32)]
        feats = {str(i): m for i, m in enumerate(maps)}
        xy = rng.uniform(0, 200, (40, 2))
        b = np.concatenate([xy, xy + rng.uniform(1, 180, (40, 2))], 1).astype(dtype)
        pooler = tvo.MultiScaleRoIAlign(list(feats), 7, 2)
        want = pooler({k: torch.from_numpy(v.astype(np.float64)) for k, v in feats.items()},
                      [torch.from_numpy(b.astype(np.float64))], [(256, 384)])
        ours = ops.multi_scale_roi_align(feats, [b], 7, 2, image_shapes=[(256, 384)])
        compare(f"multi_scale_roi_align c={c}", ours, want, dtype)


def nms_family(rng, dtype) -> None:
    for n in (1, 17, 700):
        xy = rng.uniform(0, 100, (n, 2))
        b = np.concatenate([xy, xy + rng.uniform(1, 40, (n, 2))], 1).astype(dtype)
        s = rng.uniform(0, 1, n).astype(dtype)
        idx = rng.integers(0, 5, n)
        tb, ts = torch.from_numpy(b.astype(np.float32)), torch.from_numpy(s.astype(np.float32))
        if dtype != np.float16:
            tb, ts = torch.from_numpy(b), torch.from_numpy(s)
        keep = ops.nms(b, s, 0.5)
        want = tvo.nms(tb, ts, 0.5)
        ok = np.array_equal(keep, want.numpy())
        print(f"{'ok ' if ok else 'OFF'} nms n={n} {np.dtype(dtype).name}")
        if not ok:
            failures.append(f"nms n={n}")
        if dtype != np.float16:
            keep = ops.batched_nms(b, s, idx, 0.5)
            ok = np.array_equal(keep, tvo.batched_nms(tb, ts, torch.from_numpy(idx), 0.5).numpy())
            print(f"{'ok ' if ok else 'OFF'} batched_nms n={n} {np.dtype(dtype).name}")
            if not ok:
                failures.append(f"batched_nms n={n}")


def deform(rng, dtype) -> None:
    # (cin, cout, group, offset_group, n, h, w): the last cases leave tails in
    # every GEMM dimension at every level (Cout against 6 and 14 rows, K = Cin / group * 9
    # against the k slices, positions against 8, 16 and 32 columns) and run
    # in several chunks of positions, one of them across two images.
    cases = ((1, 3, 1, 1, 1, 9, 11), (17, 5, 1, 1, 1, 9, 11), (32, 33, 1, 1, 1, 9, 11),
             (23, 29, 1, 1, 2, 13, 7), (24, 30, 2, 3, 2, 11, 9), (48, 15, 3, 2, 3, 6, 5))
    for cin, cout, group, og, n, h, wd in cases:
        x = rng.standard_normal((n, cin, h, wd)).astype(dtype)
        w = (rng.standard_normal((cout, cin // group, 3, 3)) * 0.1).astype(dtype)
        off = rng.uniform(-2, 2, (n, 18 * og, h, wd)).astype(dtype)
        mask = rng.uniform(0, 1, (n, 9 * og, h, wd)).astype(dtype)
        bias = rng.standard_normal(cout).astype(dtype)
        t = [torch.from_numpy(a.astype(np.float64)) for a in (x, off, w, bias, mask)]
        want = tvo.deform_conv2d(t[0], t[1], t[2], t[3], padding=1, mask=t[4])
        ours = ops.deform_conv2d(x, off, w, bias, padding=1, mask=mask)
        tol_scale = 50 if dtype == np.float16 else 10
        ok = np.allclose(ours.astype(np.float64), want.numpy(), rtol=TOL[dtype] * tol_scale,
                         atol=TOL[dtype] * tol_scale)
        name = f"deform_conv2d cin={cin} cout={cout} group={group} offset_group={og} n={n}"
        print(f"{'ok ' if ok else 'OFF'} {name} {np.dtype(dtype).name}")
        if not ok:
            failures.append(name)
    deform_exact(rng, dtype)


def deform_exact(rng, dtype) -> None:
    """Inputs on a dyadic grid, so every product and sum is exact: any level,
    blocking and order of summation must give torchvision's bits (float16:
    the exact sum rounded once to nearest even, as NumPy rounds)."""
    n, cin, h, wd, cout = 2, 23, 13, 7, 29
    x = rng.integers(-4, 5, (n, cin, h, wd)).astype(dtype)
    w = rng.integers(-2, 3, (cout, cin, 3, 3)).astype(dtype)
    off = (rng.integers(-12, 13, (n, 18, h, wd)) * 0.25).astype(dtype)
    mask = (rng.integers(0, 5, (n, 9, h, wd)) * 0.25).astype(dtype)
    bias = (rng.integers(-16, 17, cout) * 0.5).astype(dtype)
    t = [torch.from_numpy(a.astype(np.float64)) for a in (x, off, w, bias, mask)]
    want = tvo.deform_conv2d(t[0], t[1], t[2], t[3], padding=1, mask=t[4]).numpy().astype(dtype)
    ok = np.array_equal(ops.deform_conv2d(x, off, w, bias, padding=1, mask=mask), want)
    print(f"{'ok ' if ok else 'OFF'} deform_conv2d exact {np.dtype(dtype).name}")
    if not ok:
        failures.append("deform_conv2d exact")


def main() -> int:
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64, np.float16):
        roi_family(rng, dtype)
        multi_scale(rng, dtype)
        nms_family(rng, dtype)
        deform(rng, dtype)
    print("failures:", failures or "none")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
