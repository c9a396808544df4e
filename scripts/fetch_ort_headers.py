#!/usr/bin/env python3
"""Fetch ONNX Runtime's C/C++ headers from Debian's libonnxruntime-dev.

The onnxruntime wheel ships no headers. When neither ONNXRUNTIME_ROOT nor a
system package provides them, the build calls this script, which asks apt,
with a private state directory (nothing of the system's apt state changes),
to download libonnxruntime-dev from the Debian mirror that this machine's apt
sources already name, and unpacks its headers into DEST.

The suite defaults to trixie, the oldest Debian release that packages
onnxruntime (1.21): the library asks ORT for the API version of the headers
it is built against, so older headers mean more ORT releases load it.
Override with ORT_ROI_DEBIAN_SUITE.

Usage: fetch_ort_headers.py DEST
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "libonnxruntime-dev"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def _source_files() -> list[str]:
    files = ["/etc/apt/sources.list"]
    files += sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    files += sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    return [f for f in files if os.path.isfile(f)]


def debian_mirrors() -> list[str]:
    """Base URIs of Debian archives configured for apt (not security ones)."""
    uris: list[str] = []
    for path in _source_files():
        text = Path(path).read_text(errors="replace")
        if path.endswith(".sources"):
            # deb822 stanzas: "URIs: a b" lines
            found = re.findall(r"^URIs:\s*(.+)$", text, flags=re.MULTILINE)
            candidates = [u for line in found for u in line.split()]
        else:
            candidates = []
            for line in text.splitlines():
                line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
                if len(line) >= 2 and line[0] == "deb":
                    candidates.append(line[1])
        for uri in candidates:
            uri = uri.rstrip("/")
            if uri.endswith("/debian") and uri not in uris:
                uris.append(uri)
    return uris


def apt_download(mirror: str, suite: str, workdir: Path) -> Path:
    lists = workdir / "lists"
    cache = workdir / "cache"
    (lists / "partial").mkdir(parents=True)
    (cache / "archives" / "partial").mkdir(parents=True)
    signed = f"[signed-by={KEYRING}] " if os.path.isfile(KEYRING) else ""
    sources = workdir / "sources.list"
    sources.write_text(f"deb {signed}{mirror} {suite} main\n")
    opts = [
        f"-oDir::Etc::SourceList={sources}",
        "-oDir::Etc::SourceParts=/dev/null",
        f"-oDir::State::Lists={lists}",
        f"-oDir::Cache={cache}",
        "-oDebug::NoLocking=1",
    ]
    if os.geteuid() == 0:
        # apt's "_apt" user cannot write into our private directories.
        opts.append("-oAPT::Sandbox::User=root")
    subprocess.run(["apt-get", *opts, "-qq", "update"], check=True)
    subprocess.run(["apt-get", *opts, "-qq", "download", PACKAGE], check=True, cwd=workdir)
    debs = sorted(workdir.glob(f"{PACKAGE}_*.deb"))
    if not debs:
        raise RuntimeError(f"apt-get download left no {PACKAGE} package")
    return debs[-1]


def unpack_headers(deb: Path, dest: Path, workdir: Path) -> None:
    root = workdir / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    headers = root / "usr" / "include" / "onnxruntime"
    if not (headers / "onnxruntime_c_api.h").is_file():
        raise RuntimeError(f"{deb.name} holds no onnxruntime_c_api.h")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(headers, dest)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dest = Path(argv[1]).resolve()
    if shutil.which("apt-get") is None:
        print("fetch_ort_headers: apt-get is not available; set ONNXRUNTIME_ROOT", file=sys.stderr)
        return 1
    mirrors = debian_mirrors()
    if not mirrors:
        print("fetch_ort_headers: apt's sources name no Debian mirror; set ONNXRUNTIME_ROOT",
              file=sys.stderr)
        return 1
    suite = os.environ.get("ORT_ROI_DEBIAN_SUITE", "trixie")
    errors = []
    for mirror in mirrors:
        with tempfile.TemporaryDirectory(prefix="ort_roi_headers_") as tmp:
            try:
                deb = apt_download(mirror, suite, Path(tmp))
                unpack_headers(deb, dest, Path(tmp))
            except (subprocess.CalledProcessError, RuntimeError) as e:
                errors.append(f"{mirror} {suite}: {e}")
                continue
        print(f"fetch_ort_headers: {deb.name} from {mirror} ({suite}) -> {dest}")
        return 0
    print("fetch_ort_headers: failed:\n  " + "\n  ".join(errors), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
