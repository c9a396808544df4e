"""The four roi pooling ops that read one feature map (RoIAlign, RoIPool,
PSRoIAlign, PSRoIPool): how to run each in ONNX Runtime and in torchvision,
and the cases they share. test_roi_pooling.py runs the shared cases on all
four; each test_<op>.py keeps what is particular to its op."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import host_grid
from support import assert_close, reference_inputs, run_node


@dataclass(frozen=True)
class RoIOp:
    name: str
    reference: str  # the torchvision.ops function's name
    sampling_ratio: bool  # takes the attribute
    aligned: bool  # takes the attribute
    position_sensitive: bool  # X has C * oh * ow channels for C output channels
    exact: tuple = ()  # dtypes whose results equal torchvision's bit for bit
    host_grid: object = None  # its CUDA kernel's thread body run on the host (host_grid.py)

    def __str__(self):  # the test id
        return self.name

    def channels(self, c: int, oh: int, ow: int) -> int:
        """X's channels for `c` output channels."""
        return c * oh * ow if self.position_sensitive else c

    def feature(self, rng, n, c, h, w, oh, ow, dtype):
        return rng.standard_normal((n, self.channels(c, oh, ow), h, w)).astype(dtype)

    def ratios(self) -> list[int]:
        return [-1, 0, 1, 2, 4] if self.sampling_ratio else [-1]

    def alignments(self) -> list[bool]:
        return [False, True] if self.aligned else [False]

    def attrs(self, oh, ow, scale, ratio, aligned) -> dict:
        attrs = dict(output_height=oh, output_width=ow, spatial_scale=scale)
        if self.sampling_ratio:
            attrs["sampling_ratio"] = ratio
        if self.aligned:
            attrs["aligned"] = int(aligned)
        return attrs

    def cuda_body(self, x, rois, oh, ow, scale=1.0, ratio=-1, aligned=False):
        """The CUDA kernel's arithmetic, run on the host over its launch grid."""
        args = [x, rois, oh, ow, scale]
        args += [ratio] if self.sampling_ratio else []
        args += [aligned] if self.aligned else []
        return self.host_grid(*args)

    def ours(self, x, rois, oh, ow, scale=1.0, ratio=-1, aligned=False, threads=0):
        return run_node(self.name, {"X": x, "rois": rois}, threads=threads,
                        **self.attrs(oh, ow, scale, ratio, aligned))

    def theirs(self, x, rois, oh, ow, scale=1.0, ratio=-1, aligned=False, device="cpu"):
        """torchvision's op on `device` (gpu_tests pass "cuda"), as numpy."""
        tx, tr = (t.to(device) for t in reference_inputs(x, rois))
        args = [tx, tr, (oh, ow), scale]
        args += [ratio] if self.sampling_ratio else []
        args += [aligned] if self.aligned else []
        # Imported here: channels_last_levels.py's processes, one per vector
        # level, run ours alone and start in a second instead of five.
        import torchvision.ops

        return getattr(torchvision.ops, self.reference)(*args).cpu().numpy()

    def assert_matches(self, y, ref, dtype):
        """Our result against torchvision's (float32 for float16 inputs). Both
        comparisons count NaN equal to NaN: torchvision's 0 / 0 bins must be
        NaN here too, and nowhere else."""
        assert y.dtype == dtype
        if dtype in self.exact:
            np.testing.assert_array_equal(y.astype(ref.dtype), ref)
        else:
            assert_close(y, ref, dtype)

    def check(self, x, rois, oh, ow, scale=1.0, ratio=-1, aligned=False):
        self.assert_matches(self.ours(x, rois, oh, ow, scale, ratio, aligned),
                            self.theirs(x, rois, oh, ow, scale, ratio, aligned), x.dtype.type)


ROI_ALIGN = RoIOp("RoIAlign", "roi_align", sampling_ratio=True, aligned=True,
                  position_sensitive=False, host_grid=host_grid.roi_align)
# Max pooling picks one input value: exact in every type (float16 results
# are float16 inputs, compared in float32).
ROI_POOL = RoIOp("RoIPool", "roi_pool", sampling_ratio=False, aligned=False,
                 position_sensitive=False, exact=(np.float32, np.float64, np.float16),
                 host_grid=host_grid.roi_pool)
PS_ROI_ALIGN = RoIOp("PSRoIAlign", "ps_roi_align", sampling_ratio=True,
                     aligned=False, position_sensitive=True, host_grid=host_grid.ps_roi_align)
# ort_roi adds a bin's pixels in torchvision's order and divides by the same
# count, so float32 and float64 match bit for bit; float16 is accumulated in
# float32 and rounded once.
PS_ROI_POOL = RoIOp("PSRoIPool", "ps_roi_pool", sampling_ratio=False, aligned=False,
                    position_sensitive=True, exact=(np.float32, np.float64),
                    host_grid=host_grid.ps_roi_pool)
OPS = [ROI_ALIGN, ROI_POOL, PS_ROI_ALIGN, PS_ROI_POOL]


def rois_of(rows, dtype):
    return np.asarray(rows, dtype=np.float64).reshape(-1, 5).astype(dtype)


# Each: (name, (N, output channels, H, W), rois rows, spatial_scale, output size)
EDGE_CASES = [
    ("no_rois", (1, 3, 10, 12), [], 1.0, (3, 3)),
    ("degenerate_point_box", (1, 3, 10, 12), [[0, 4, 4, 4, 4]], 1.0, (3, 3)),
    ("degenerate_line_box", (1, 3, 10, 12), [[0, 2, 3, 9, 3]], 1.0, (2, 4)),
    ("inverted_box", (1, 3, 10, 12), [[0, 9, 8, 2, 1]], 1.0, (3, 3)),
    ("slightly_inverted_box", (1, 2, 10, 12), [[0, 3, 3, 2, 2]], 1.0, (2, 2)),
    ("tiny_box", (1, 2, 10, 12), [[0, 3, 3, 3.2, 3.1]], 1.0, (2, 2)),
    ("half_pixel_rounding", (1, 3, 10, 12), [[0, 0.5, 1.5, 2.5, 3.5], [0, -0.5, -1.5, 4.5, 5.5]], 1.0, (2, 2)),
    ("more_bins_than_pixels", (1, 3, 10, 12), [[0, 1, 1, 3, 2]], 1.0, (7, 7)),
    ("more_bins_than_pixels_5x5", (1, 2, 10, 12), [[0, 1, 1, 3, 2]], 1.0, (5, 5)),
    ("partly_outside", (1, 3, 10, 12), [[0, -6, -3, 5, 6], [0, 8, 7, 20, 15]], 1.0, (4, 4)),
    ("wholly_outside", (1, 3, 10, 12), [[0, 30, 30, 40, 40], [0, -20, -20, -5, -5]], 1.0, (3, 3)),
    # PSRoIPool clips bins to [0, H - 1]: its last row and column are never read.
    ("whole_map", (1, 2, 10, 12), [[0, 0, 0, 12, 10], [0, 0, 0, 11, 9]], 1.0, (1, 1)),
    ("box_on_far_edge", (1, 3, 10, 12), [[0, 11, 9, 12, 10]], 1.0, (2, 2)),
    ("box_across_far_edge", (1, 2, 10, 12), [[0, 10, 8, 12, 10]], 1.0, (2, 2)),
    ("one_by_one_map", (2, 4, 1, 1), [[0, 0, 0, 1, 1], [1, -1, -1, 2, 2], [1, 0.3, 0.2, 0.6, 0.9]], 1.0, (2, 2)),
    ("one_by_one_map_3", (2, 3, 1, 1), [[0, 0, 0, 1, 1], [1, -1, -1, 2, 2], [1, 0.3, 0.2, 0.6, 0.9]], 1.0, (2, 2)),
    ("one_row_map", (1, 2, 1, 9), [[0, 0, 0, 8, 1]], 1.0, (1, 3)),
    ("one_by_one_output", (1, 5, 10, 12), [[0, 1, 2, 9, 8]], 1.0, (1, 1)),
    ("batch_of_three", (3, 5, 9, 11), [[2, 1, 1, 8, 6], [0, 0, 0, 10, 8], [1, 3, 2, 5, 7], [2, 0, 0, 3, 3]], 1.0, (3, 2)),
    ("batch_of_three_2", (3, 2, 9, 11), [[2, 1, 1, 8, 6], [0, 0, 0, 10, 8], [1, 3, 2, 5, 7], [2, 0, 0, 3, 3]], 1.0, (3, 2)),
    ("several_times_the_map", (1, 2, 16, 20), [[0, -40, -30, 80, 70]], 1.0, (3, 3)),
    ("scaled_quarter", (1, 3, 13, 17), [[0, 3, 5, 60, 47], [0, 10, 2, 11, 3]], 0.25, (7, 7)),
    ("scaled_sixteenth", (1, 3, 8, 8), [[0, 3, 5, 120, 97]], 1 / 16, (5, 3)),
]

# torchvision's own roi_align cannot run these when aligned (a grid count of
# one sign per side sizes a buffer negatively): the position-sensitive ops only.
POSITION_SENSITIVE_EDGE_CASES = [
    ("inverted_on_one_side", (1, 2, 10, 12), [[0, 1, 6, 7, 1]], 1.0, (2, 3)),
]

# torchvision's behaviour is undefined on these (the grid size or the
# rounded corner becomes an int from NaN; it can crash); ort_roi defines it:
# the first three rois give zeros. The last is a normal box.
NON_FINITE_ROWS = [[0, np.nan, 1, 5, 5], [0, 1, 1, np.inf, 5], [0, -np.inf, 1, 5, 5], [0, 1, 1, 6, 6]]

# A 1e30-sized box would make torchvision loop for ever (or overflow the
# grid size, or the integer conversion of a rounded corner). ort_roi caps the
# adaptive grid and clamps rounded corners: bounded work, finite output.
ABSURD_ROWS = [[0, -1e30, -1e30, 1e30, 1e30], [0, 0, 0, 3e38, 3e38], [0, 1e30, 1e30, -1e30, -1e30]]

# Bad input: each gives INVALID_ARGUMENT with a message naming op and problem.
# X has 8 channels: a whole number of 2 x 2 bins for the position-sensitive ops.
GOOD_X = np.zeros((2, 8, 8, 8), np.float32)
GOOD_ROIS = rois_of([[0, 1, 1, 4, 4], [1, 0, 0, 2, 2]], np.float32)
# Each: (name, X, rois, attributes beyond output 2 x 2, message)
BAD_INPUTS = [
    ("batch_index_too_large", GOOD_X, rois_of([[0, 1, 1, 2, 2], [2, 1, 1, 2, 2]], np.float32), {},
     "input 'rois' row 1 has batch index 2, which is not an integer in [0, 2)"),
    ("batch_index_negative", GOOD_X, rois_of([[-1, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index -1"),
    ("batch_index_not_integral", GOOD_X, rois_of([[0.5, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index 0.5, which is not an integer"),
    ("batch_index_not_integral_1_25", GOOD_X, rois_of([[1.25, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index 1.25, which is not an integer"),
    ("batch_index_nan", GOOD_X, rois_of([[np.nan, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index nan"),
    ("batch_index_inf", GOOD_X, rois_of([[np.inf, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index inf"),
    ("feature_rank_3", GOOD_X[0], GOOD_ROIS, {}, "input 'X' must have rank 4"),
    ("feature_rank_5", GOOD_X[None], GOOD_ROIS, {}, "input 'X' must have rank 4"),
    ("rois_four_columns", GOOD_X, GOOD_ROIS[:, 1:], {}, "input 'rois' must have shape [K, 5]"),
    ("rois_six_columns", GOOD_X, np.zeros((2, 6), np.float32), {},
     "input 'rois' must have shape [K, 5]"),
    ("rois_rank_1", GOOD_X, GOOD_ROIS[0], {}, "input 'rois' must have shape [K, 5]"),
    ("dtype_mismatch", GOOD_X, GOOD_ROIS.astype(np.float64), {},
     "input 'rois' must have the feature map's type float32, got float64"),
    ("dtype_mismatch_float16_feature", GOOD_X.astype(np.float16), GOOD_ROIS, {},
     "input 'rois' must have the feature map's type float16, got float32"),
    ("integer_feature", GOOD_X.astype(np.int32), GOOD_ROIS, {},
     "input 'X' must be float32, float64 or float16"),
    ("int64_feature", GOOD_X.astype(np.int64), GOOD_ROIS, {},
     "input 'X' must be float32, float64 or float16"),
    ("zero_output_height", GOOD_X, GOOD_ROIS, {"output_height": 0},
     "'output_height' and 'output_width' must be positive, got 0 and 2"),
    ("zero_output_width", GOOD_X, GOOD_ROIS, {"output_width": 0},
     "'output_height' and 'output_width' must be positive, got 2 and 0"),
    ("negative_output_width", GOOD_X, GOOD_ROIS, {"output_width": -3},
     "must be positive, got 2 and -3"),
    ("zero_spatial_scale", GOOD_X, GOOD_ROIS, {"spatial_scale": 0.0},
     "'spatial_scale' must be a finite positive number"),
    ("negative_spatial_scale", GOOD_X, GOOD_ROIS, {"spatial_scale": -1.0},
     "'spatial_scale' must be a finite positive number"),
    ("empty_map", np.zeros((1, 8, 0, 8), np.float32), GOOD_ROIS[:1], {},
     "input 'X' must have positive height and width"),
    ("empty_map_width", np.zeros((1, 8, 8, 0), np.float32), GOOD_ROIS[:1], {},
     "input 'X' must have positive height and width"),
]
BAD_SAMPLING_RATIO = [
    ("huge_sampling_ratio", GOOD_X, GOOD_ROIS, {"sampling_ratio": 1 << 20},
     "'sampling_ratio' must be at most 65536"),
]
BAD_ALIGNED = [
    ("aligned_not_a_flag", GOOD_X, GOOD_ROIS, {"aligned": 2}, "'aligned' must be 0 or 1, got 2"),
]
BAD_CHANNELS = [
    ("channels_not_divisible", GOOD_X[:, :6], GOOD_ROIS, {},
     "input 'X' has 6 channels, which is not a multiple of output_height * output_width (2 * 2 = 4)"),
    ("channels_not_divisible_7", GOOD_X[:, :7], GOOD_ROIS, {},
     "input 'X' has 7 channels, which is not a multiple of output_height * output_width (2 * 2 = 4)"),
    ("fewer_channels_than_bins", GOOD_X, GOOD_ROIS, {"output_height": 3, "output_width": 3},
     "input 'X' has 8 channels, which is not a multiple of output_height * output_width (3 * 3 = 9)"),
    ("fewer_channels_than_bins_4x3", GOOD_X, GOOD_ROIS, {"output_height": 4, "output_width": 3},
     "input 'X' has 8 channels, which is not a multiple of output_height * output_width (4 * 3 = 12)"),
    ("bins_overflow", GOOD_X, GOOD_ROIS, {"output_height": 1 << 40, "output_width": 1 << 40},
     f"input 'X' has 8 channels, which is not a multiple of output_height * output_width "
     f"({1 << 40} * {1 << 40})"),
]


def bad_inputs(op: RoIOp) -> list:
    """BAD_INPUTS and the cases of the attributes and channel rule `op` has."""
    return (BAD_INPUTS + (BAD_SAMPLING_RATIO if op.sampling_ratio else [])
            + (BAD_ALIGNED if op.aligned else []) + (BAD_CHANNELS if op.position_sensitive else []))
