"""The ``ort-roi`` command line: export, check, demo, bench, info."""

from __future__ import annotations

import argparse
import importlib
import sys

TOLERANCE_HELP = "an element matches if |onnx - torch| <= atol + rtol * |torch|"


def _size(parser):
    parser.add_argument("--image-size", nargs=2, type=int, metavar=("H", "W"),
                        help="image size (detectors: also the resize bounds, so images of "
                             "this size are not resized; default 480 640)")


def _weights(parser):
    parser.add_argument("--weights", metavar="PATH_OR_NAME",
                        help="a state dict file, or torchvision weights (DEFAULT, "
                             "MaskRCNN_ResNet50_FPN_Weights.COCO_V1); random weights if not given")


def _seed(parser):
    parser.add_argument("--seed", type=int, default=0,
                        help="for random weights (default 0); check needs the one export had")


def _tolerances(parser, rtol=1e-3, atol=1e-3):
    parser.add_argument("--rtol", type=float, default=rtol, help=f"{TOLERANCE_HELP} (default {rtol:g})")
    parser.add_argument("--atol", type=float, default=atol, help=f"(default {atol:g})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ort-roi", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--traceback", action="store_true",
                        help="on an error, show Python's traceback, not only the message")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    p = command("export", help="export a PyTorch model with torchvision ops as ort_roi nodes",
                description="MODEL: a torchvision model name (maskrcnn_resnet50_fpn) or "
                            "module:attr, an nn.Module or a callable returning one. "
                            "Inputs: the model's example_inputs if it has them, a list of "
                            "one image for a detector, else one [1, 3, H, W] batch.")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("out", metavar="OUT.onnx")
    p.add_argument("--exporter", choices=("torchscript", "dynamo"), default="torchscript",
                   help="torch.onnx.export(dynamo=False) or the torch.export-based one (dynamo=True)")
    p.add_argument("--opset", type=int, help="default 17 (torchscript) or 18 (dynamo)")
    _size(p)
    _weights(p)
    _seed(p)

    p = command("check", help="run an ONNX model in ORT and its PyTorch model eagerly; "
                              "compare output by output, or node by node",
                description="Give --torch, --per-node, --twins, or several. Exits 1 when "
                            "an output or a node differs beyond the tolerances.")
    p.add_argument("model", metavar="MODEL.onnx")
    p.add_argument("--torch", metavar="MODEL_SPEC",
                   help="the PyTorch model, as for export (same --image-size and --weights): "
                        "compare the outputs with its eager ones")
    p.add_argument("--per-node", action="store_true",
                   help="run each ort_roi node's torchvision twin in PyTorch on the inputs the "
                        "node got in ORT and compare with the node's output; names the first "
                        "node off (needs no PyTorch model)")
    p.add_argument("--twins", action="store_true",
                   help="run the model again in the same ORT session with each ort_roi node "
                        "replaced by its torchvision twin (an onnxruntime-extensions Python op) "
                        "and compare the outputs (needs no PyTorch model)")
    p.add_argument("--inputs", metavar="FILE.npz",
                   help="inputs by ONNX input name (or arr_0, arr_1, ... in input order)")
    p.add_argument("--shape", action="append", metavar="[NAME=]1,3,64,64",
                   help="random input of this shape (repeat per input); default: the model's "
                        "example_inputs, else the ONNX input shapes")
    p.add_argument("--input-seed", type=int, default=0,
                   help="for random inputs (default 0): a detector gets a synthetic image "
                        "(smooth background, a few flat boxes), anything else uniform noise; "
                        "without --torch, --image-size makes every input such an image")
    p.add_argument("--all-nodes", action="store_true",
                   help="list the execution provider of every node, not only ort_roi's")
    _size(p)
    _weights(p)
    _seed(p)
    _tolerances(p)

    p = command("demo", help="Mask R-CNN: ort_roi in ORT vs PyTorch eager vs "
                             "torchvision's standard ONNX export")
    # Random weights give up to 100 detections with near-tied scores, whose
    # order then decides the comparison; this image and seed stay clear of
    # such ties (both ort_roi's and torchvision's export match eager on them).
    p.add_argument("--image-size", nargs=2, type=int, default=(240, 320), metavar=("H", "W"),
                   help="default 240 320")
    p.add_argument("--exporter", choices=("torchscript", "dynamo"), default="torchscript")
    p.add_argument("--standard-opset", type=int, default=17, choices=(16, 17),
                   help="opset of torchvision's own export (default 17)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per runtime (default 3)")
    p.add_argument("--seed", type=int, default=3, help="for random weights and the image (default 3)")
    _weights(p)
    _tolerances(p)

    p = command("bench", help="time ort_roi against torchvision, ONNX Runtime's own ops "
                              "and OpenVINO's CPU ops on the same inputs",
                description="Every row runs ort_roi and its peers in this process on the "
                            "same inputs with the same thread count, taking turns, and "
                            "prints medians and ratios (peer median / ort_roi median: "
                            "above 1x ort_roi is faster), and checks ort_roi's output "
                            "against torchvision's. Exits 1 when a check fails. "
                            "Progress goes to stderr, the Markdown table to stdout.")
    p.add_argument("--quick", action="store_true",
                   help="tiny shapes, 2 runs each, no Mask R-CNN unless --only names it: "
                        "checks that every path works, says nothing about speed")
    p.add_argument("--only", action="append", metavar="ROW[,ROW]",
                   help="these rows (ids from --list) or families (roi_align, nms, ...)")
    p.add_argument("--list", action="store_true", help="list the rows and exit")
    p.add_argument("--threads", type=int, default=2,
                   help="threads for torch, ONNX Runtime and OpenVINO alike (default 2)")
    p.add_argument("--repeat", type=int,
                   help="timed runs per runtime (default 7, Mask R-CNN 3; --quick 2)")
    p.add_argument("--dtype", action="append", choices=["float16", "float64"],
                   help="also time ort_roi on the inputs in this type, beside its float32 run, "
                        "where the row's op takes floats (checked against torchvision on the "
                        "same values); repeatable")
    p.add_argument("--cpu-time", action="store_true",
                   help="a second table: each runtime's process CPU time per call (every "
                        "thread's), the work done whoever else holds the cores")
    p.add_argument("--no-spin", action="store_true",
                   help="idle threads sleep at once (ONNX Runtime's allow_spinning 0, "
                        "OMP_WAIT_POLICY=PASSIVE for torch) instead of spinning, so that CPU "
                        "time counts work, not waiting")
    p.add_argument("--json", metavar="PATH", help="write every figure there")
    p.add_argument("--markdown", metavar="PATH", help="write the table and notes there")
    p.add_argument("--png", metavar="PATH",
                   help="a bar chart of the ratios (needs matplotlib)")

    command("info", help="library path, versions, ops and providers")
    return parser


def _message(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.strerror or type(error).__name__}: {error.filename}"
    text = str(error).strip() or "(no message)"
    return f"{type(error).__name__}: {text}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        # Imported only now: export, check, demo and bench import torch, info must not.
        command = importlib.import_module(f"ort_roi.commands.{args.command}")
        return command.run(args)
    except SystemExit as refusal:  # a command's own message: an error too, not a mismatch
        if not isinstance(refusal.code, str):
            raise
        print(refusal.code, file=sys.stderr)
        return 2
    except Exception as error:  # any failure: its message, and the status of an error
        if args.traceback:
            raise
        print(f"ort-roi {args.command}: {_message(error)}", file=sys.stderr)
        print("(--traceback shows where it happened)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
