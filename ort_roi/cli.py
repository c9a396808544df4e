"""The ``ort-roi`` command line."""

from __future__ import annotations

import argparse
import json
import sys


def _info(_args) -> int:
    import onnxruntime

    import ort_roi
    from ort_roi import schemas

    print(json.dumps({
        "ort_roi": ort_roi.__version__,
        "library": ort_roi.get_library_path(),
        "onnxruntime": onnxruntime.__version__,
        "domain": ort_roi.DOMAIN,
        "providers": ort_roi.providers(),
        "ops": sorted(schemas.names()),
    }, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ort-roi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="library path, versions, ops and providers").set_defaults(fn=_info)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
