"""Where the compiled library is, and how a session gets it."""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from pathlib import Path

import onnxruntime as ort

DOMAIN = "ort_roi"
DISTRIBUTION = "ort-roi"
LIBRARY_ENV = "ORT_ROI_LIBRARY"

if sys.platform == "win32":
    _LIBRARY_NAME = "ort_roi.dll"
elif sys.platform == "darwin":
    _LIBRARY_NAME = "libort_roi.dylib"
else:
    _LIBRARY_NAME = "libort_roi.so"

# Set on a SessionOptions once the library is registered on it: ORT refuses
# a second registration of the same domain, so register() must be idempotent.
_REGISTERED_KEY = "ort_roi.library_registered"


def _installed_file(name: str) -> Path | None:
    """A file of the installed distribution, found through its RECORD.

    Python started from a source checkout imports the source folder, which
    holds no compiled library; the installed wheel (regular or editable)
    still has one, and its metadata says where.
    """
    try:
        files = importlib.metadata.files(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in files:
        if f.name == name:
            path = Path(f.locate()).resolve()
            if path.is_file():
                return path
    return None


def _find(name: str) -> Path | None:
    beside = Path(__file__).resolve().parent / name
    if beside.is_file():
        return beside
    return _installed_file(name)


def get_library_path() -> str:
    """Absolute path of the shared library that holds ort_roi's kernels.

    ``ORT_ROI_LIBRARY`` overrides the search (a library built by hand).
    """
    override = os.environ.get(LIBRARY_ENV)
    if override:
        if not Path(override).is_file():
            raise FileNotFoundError(f"{LIBRARY_ENV}={override!r} is not a file")
        return str(Path(override).resolve())
    found = _find(_LIBRARY_NAME)
    if found is None:
        raise FileNotFoundError(
            f"ort_roi's compiled library ({_LIBRARY_NAME}) was not found beside "
            f"{Path(__file__).parent} nor in an installed '{DISTRIBUTION}' "
            f"distribution: install the package (pip install .) or set {LIBRARY_ENV}"
        )
    return str(found)


def _build_info() -> dict:
    # The build's own description lies beside the library, wherever that is.
    beside = Path(get_library_path()).parent / "build_info.json"
    path = beside if beside.is_file() else _find("build_info.json")
    if path is None:
        return {"providers": ["CPUExecutionProvider"]}
    return json.loads(path.read_text())


def providers() -> list[str]:
    """Execution providers this build of the library has kernels for."""
    return list(_build_info()["providers"])


def register(session_options: ort.SessionOptions) -> ort.SessionOptions:
    """Register ort_roi's ops on ``session_options`` (idempotent); returns it."""
    try:
        done = session_options.get_session_config_entry(_REGISTERED_KEY) == "1"
    except RuntimeError:  # ORT raises for a key never set
        done = False
    if not done:
        session_options.register_custom_ops_library(get_library_path())
        session_options.add_session_config_entry(_REGISTERED_KEY, "1")
    return session_options


def InferenceSession(path_or_bytes, sess_options=None, providers=None, **kwargs):
    """An ``onnxruntime.InferenceSession`` with ort_roi's ops registered."""
    so = sess_options if sess_options is not None else ort.SessionOptions()
    register(so)
    if providers is None:
        providers = ["CPUExecutionProvider"]
    return ort.InferenceSession(path_or_bytes, sess_options=so, providers=providers, **kwargs)
