"""The exceptions ort_roi.ops raises for bad input.

torchvision reports a bad input with whichever exception its check happens
to use: ``AssertionError`` for box shapes (``torch._assert``), ``RuntimeError``
from its C++ checks, ``IndexError`` from a shape lookup on a tensor of the
wrong rank, ``ValueError`` from Python-side checks, ``NotImplementedError``
for an unsupported dtype. Code written against torchvision catches one of
those; for ``ort_roi.ops`` to be a drop-in, our one error type is all of them.
"""

__all__ = ["InvalidDtypeError", "InvalidInputError"]


class InvalidInputError(ValueError, RuntimeError, AssertionError, IndexError):
    """An input an op cannot take: a wrong shape, size, count or value. The
    message names the op, the input and what is wrong. When ONNX Runtime
    refused the input (our kernels' INVALID_ARGUMENT), the message is its own
    and the runtime's exception is the ``__cause__``."""


class InvalidDtypeError(InvalidInputError, TypeError, NotImplementedError):
    """An input of a dtype the op does not take, or inputs whose dtypes must
    agree and do not."""
