"""RoIPool: exact parity with torchvision.ops.roi_pool on random inputs. The
cases it shares with the other roi pooling ops are in test_roi_pooling.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roi_cases import ROI_POOL as OP
from support import DTYPES, random_rois


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3), c=st.integers(1, 20), h=st.integers(1, 24), w=st.integers(1, 24),
    k=st.integers(0, 12), oh=st.integers(1, 8), ow=st.integers(1, 8),
    scale=st.sampled_from([1.0, 0.5, 0.25, 0.125, 2.0]), dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**31),
)
def test_random(n, c, h, w, k, oh, ow, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    x = OP.feature(rng, n, c, h, w, oh, ow, dtype)
    OP.check(x, random_rois(rng, k, n, max(h, w) / scale, dtype), oh, ow, scale)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_an_output_too_large_for_the_cache_is_streamed_with_the_same_values(dtype):
    # Past 32 MiB of output each task builds its roi's block in a buffer and
    # copies it out with non-temporal stores: rois x 251 channels x 7x7, so
    # that the blocks start at every alignment, each value checked against
    # torchvision's.
    rng = np.random.default_rng(14)
    k = 700 * 4 // np.dtype(dtype).itemsize
    x = OP.feature(rng, 2, 251, 19, 25, 7, 7, dtype)
    assert k * 251 * 49 * np.dtype(dtype).itemsize >= 32 << 20
    OP.check(x, random_rois(rng, k, 2, 16 * 25, dtype), 7, 7, 1 / 16)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_a_map_too_large_for_the_cache_is_copied_in_blocks_of_channels_with_the_same_values(dtype):
    # An image of more than 8 MiB is copied channels-last in blocks of 256
    # bytes of channels (float16 128, float32 64, float64 32), pooled a block
    # at a time. 131 channels: whole blocks and a tail of 3 in every dtype; two
    # images, rois on both, covering enough of the maps for the copy to pay.
    rng = np.random.default_rng(15)
    x = OP.feature(rng, 2, 131, 160, 210, 7, 7, dtype)
    assert x[0].nbytes > 8 << 20
    OP.check(x, random_rois(rng, 60, 2, 4 * 210, dtype), 7, 7, 1 / 4)
