"""ort-roi check MODEL.onnx: the ONNX model in ORT against PyTorch eager (--torch SPEC),
each ort_roi node against its torchvision twin (--per-node), and the model with
twins in place of our nodes (--twins)."""

from __future__ import annotations

import tempfile

import numpy as np
import onnx
import torch
from google.protobuf.message import DecodeError  # onnx.load's error for a file of another kind

from . import models, per_node
from .detections import describe, pair_near_ties
from .export import DEFAULT_IMAGE_SIZE
from .parity import (compare, feeds, our_nodes, provider_summary, providers_by_node,
                     session, shape_text, table)

NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64,
               "tensor(float16)": np.float16, "tensor(int64)": np.int64,
               "tensor(int32)": np.int32, "tensor(bool)": np.bool_, "tensor(uint8)": np.uint8}


def parse_shape(text: str) -> tuple[str | None, tuple[int, ...]]:
    name, _, dims = text.rpartition("=")
    try:
        return name or None, tuple(int(d) for d in dims.replace("x", ",").split(","))
    except ValueError:
        raise SystemExit(f"ort-roi: bad --shape {text!r}: want 1,3,64,64 or NAME=1,3,64,64")


def random_inputs(sess, shapes: list[str], seed: int) -> dict[str, np.ndarray]:
    """Uniform [0, 1) floats (images) and zeros for integer inputs, of the
    model's static shapes or those given (in input order or by name)."""
    given = [parse_shape(s) for s in shapes]
    by_name = {n: s for n, s in given if n}
    in_order = [s for n, s in given if not n]
    rng = np.random.default_rng(seed)
    inputs = {}
    for i, spec in enumerate(sess.get_inputs()):
        shape = by_name.get(spec.name) or (in_order[i] if i < len(in_order) else None)
        if shape is None:
            if not all(isinstance(d, int) for d in spec.shape):
                raise SystemExit(f"ort-roi: input {spec.name!r} has shape {spec.shape}: give "
                                 f"its size with --shape {spec.name}=... or --inputs file.npz")
            shape = tuple(spec.shape)
        dtype = NUMPY_TYPES.get(spec.type)
        if dtype is None:
            raise SystemExit(f"ort-roi: no random input of type {spec.type} ({spec.name!r})")
        inputs[spec.name] = (rng.random(shape).astype(dtype)
                             if np.issubdtype(dtype, np.floating) else np.zeros(shape, dtype))
    return inputs


def detector_images(sess, image_size, seed: int) -> dict[str, np.ndarray]:
    """One image per input, with shapes to find: uniform noise gives a
    detector nothing to detect, so the comparison would be of empty outputs."""
    from ort_roi.export.models import synthetic_image
    return {spec.name: synthetic_image(*image_size, seed=seed + i).numpy()
            for i, spec in enumerate(sess.get_inputs())}


def load_npz(path: str, proto: onnx.ModelProto) -> dict[str, np.ndarray]:
    """Arrays by input name, or arr_0, arr_1, ... (np.savez's names) in input order."""
    with np.load(path) as data:
        arrays = dict(data)
    names = [i.name for i in proto.graph.input]
    if all(n in arrays for n in names):
        return {n: arrays[n] for n in names}
    ordered = [f"arr_{i}" for i in range(len(names))]
    if all(n in arrays for n in ordered):
        return {n: arrays[a] for n, a in zip(names, ordered)}
    raise SystemExit(f"ort-roi: {path} holds {sorted(arrays)}; the model's inputs are {names}")


def model_inputs(args, proto, sess, torch_model, image_size_given: bool) -> dict[str, np.ndarray]:
    if args.inputs:
        return load_npz(args.inputs, proto)
    if torch_model is None:  # --per-node or --twins alone: the ONNX file is all there is
        if image_size_given and not args.shape:
            return detector_images(sess, args.image_size, args.input_seed)
        return random_inputs(sess, args.shape or [], args.input_seed)
    if args.shape or not hasattr(torch_model, "example_inputs"):
        if not args.shape and models.is_detector(torch_model):
            return detector_images(sess, args.image_size, args.input_seed)
        return random_inputs(sess, args.shape or [], args.input_seed)
    example = models.flatten(models.example_inputs(torch_model, (0, 0)))
    return {i.name: t.numpy() for i, (_, t) in zip(sess.get_inputs(), example)}


def torch_arguments(torch_model, arrays: list[np.ndarray]) -> tuple:
    """The ONNX inputs, in order, in the structure the PyTorch model takes:
    that of its example_inputs, a list of images for a detector, else positional."""
    if hasattr(torch_model, "example_inputs"):
        return models.unflatten(arrays, models.example_inputs(torch_model, (0, 0)))
    tensors = [torch.from_numpy(a) for a in arrays]
    return (tensors,) if models.is_detector(torch_model) else tuple(tensors)


def run(args) -> int:
    if not (args.torch or args.per_node or args.twins):
        raise SystemExit("ort-roi: check needs --torch MODEL_SPEC (outputs against PyTorch), "
                         "--per-node (each ort_roi node against torchvision) or --twins")
    try:
        proto = onnx.load(args.model)
    except DecodeError as e:
        raise SystemExit(f"ort-roi: {args.model} is not an ONNX model ({e})") from e
    if args.per_node or args.twins:
        per_node.main_graph_nodes(proto)  # no node to check: say so before anything runs
    # ORT writes its profile into a folder of ours, removed with what is in it
    # whether the run succeeds or not.
    with tempfile.TemporaryDirectory(prefix="ort_roi_profile_") as profile:
        sess = session(args.model, profile_in=profile)
        image_size_given = args.image_size is not None
        args.image_size = tuple(args.image_size or DEFAULT_IMAGE_SIZE)
        torch_model = None
        if args.torch:
            torch_model = models.load_model(args.torch, weights=args.weights,
                                            image_size=args.image_size, seed=args.seed)
        inputs = model_inputs(args, proto, sess, torch_model, image_size_given)
        for name, value in inputs.items():
            print(f"input {name}: {shape_text(value.shape)} {value.dtype}")

        names = [o.name for o in sess.get_outputs()]
        actual = sess.run(None, feeds(sess, inputs))
        ran = providers_by_node(sess)
    failed = []
    if torch_model is not None:
        failed += against_torch(args, proto, torch_model, inputs, names, actual, ran)
    if args.per_node or args.twins:
        values = per_node.node_values(proto, inputs)
        if args.per_node:
            print()
            failed += per_node.report(proto, values, args.rtol, args.atol)
        if args.twins:
            from . import twins_in_ort  # onnxruntime-extensions only when asked for
            print()
            failed += twins_in_ort.report(proto, values, inputs, names, actual, args.rtol,
                                          args.atol)
    return 1 if failed else 0


def against_torch(args, proto, torch_model, inputs, names, actual, ran) -> list[str]:
    """Print the outputs against PyTorch's and where our nodes ran; return
    the names of the outputs off."""
    onnx_names = [i.name for i in proto.graph.input]
    with torch.no_grad():
        expected = models.flatten(torch_model(*torch_arguments(
            torch_model, [inputs[n] for n in onnx_names if n in inputs])))

    if len(actual) != len(expected):
        print(f"MISMATCH: the ONNX model has {len(actual)} outputs, PyTorch gives {len(expected)}")
        return ["the number of outputs"]
    wanted = [e.numpy() for _, e in expected]
    actual, moved = pair_near_ties(names, actual, wanted, args.rtol, args.atol)
    results = [compare(n, a, e, args.rtol, args.atol) for n, a, e in zip(names, actual, wanted)]
    rows = [[r.name, path, shape_text(r.shape), r.error,
             "-" if r.exact or r.shape != r.expected_shape else f"{r.max_rel:.3g}",
             "ok" if r.ok else "MISMATCH"]
            for r, (path, _) in zip(results, expected)]
    print()
    print(table(rows, ["output", "pytorch", "shape", "max abs error", "max rel error", ""]))
    print(f"(tolerance: |onnx - torch| <= {args.atol:g} + {args.rtol:g} * |torch|; "
          "integer outputs exact)")
    for line in describe(moved):
        print(line)

    print()
    ours = our_nodes(proto)
    node_rows = [[n.name, n.op_type, ran.get(n.name, ("", "not run"))[1]] for n in ours]
    print(f"ort_roi nodes ({len(ours)}):")
    if node_rows:
        print(table(node_rows, ["node", "op", "execution provider"]))
    if args.all_nodes:
        print()
        print(table([[name, op, provider] for name, (op, provider) in ran.items()],
                    ["node", "op", "execution provider"]))
    print(f"nodes run by provider: {provider_summary(ran)}")

    failed = [r.name for r in results if not r.ok]
    print()
    print(f"MISMATCH in {', '.join(failed)}" if failed else "all outputs match")
    return failed
