"""``ort-roi bench``: ort_roi against torchvision, ONNX Runtime's own ops and OpenVINO.

One module per family of ops builds its cases (roi_ops, ps_roi, multi_scale,
nms, deform_conv, mask_rcnn); runtimes.py sets every runtime to the same
thread count; timing.py times them in turn; report.py writes the table, JSON
and chart.
"""


def specs() -> list:
    """Every case, in the table's order (imports torch and torchvision)."""
    from . import deform_conv, mask_rcnn, multi_scale, nms, ps_roi, roi_ops

    return [*roi_ops.ALIGN_SPECS, *multi_scale.SPECS, *ps_roi.SPECS, *roi_ops.POOL_SPECS,
            *nms.SPECS, *deform_conv.SPECS, *mask_rcnn.SPECS]
