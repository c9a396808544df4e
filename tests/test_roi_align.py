"""RoIAlign: parity with torchvision.ops.roi_align on random inputs. The cases
it shares with the other roi pooling ops are in test_roi_pooling.py."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from roi_cases import ROI_ALIGN as OP
from support import DTYPES, random_rois


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3), c=st.integers(1, 20), h=st.integers(1, 24), w=st.integers(1, 24),
    k=st.integers(0, 12), oh=st.integers(1, 8), ow=st.integers(1, 8),
    scale=st.sampled_from([1.0, 0.5, 0.25, 0.125, 2.0]), ratio=st.integers(-1, 4),
    aligned=st.booleans(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31),
)
def test_random(n, c, h, w, k, oh, ow, scale, ratio, aligned, dtype, seed):
    rng = np.random.default_rng(seed)
    x = OP.feature(rng, n, c, h, w, oh, ow, dtype)
    rois = random_rois(rng, k, n, max(h, w) / scale, dtype)
    OP.check(x, rois, oh, ow, scale, ratio, aligned)
