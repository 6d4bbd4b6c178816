"""Static post-training int8 quantization of an exported ONNX model, written as QDQ ONNX.

Two steps around a calibration run in the runtime itself (onnxruntime-node; no Python onnxruntime here):

    quantize.py prepare  --model M.onnx --out M.calib.onnx --tensors M.tensors.json
    grasp-perception calibrate --model M.json --onnx M.calib.onnx --tensors M.tensors.json --data DIR --out M.ranges.json
    quantize.py finalize --model M.onnx --ranges M.ranges.json --out M_int8.onnx

Scheme (onnxruntime's U8S8 QDQ layout, which it fuses into QLinearConv):
- activations: per-tensor asymmetric uint8 from calibrated min/max (range widened to include 0);
  every Conv input and every Conv output is quantized; a Relu that is a Conv's only consumer is
  dropped and the Conv output takes the Relu's range (zero point 0 clamps like the Relu did);
- weights: per-output-channel symmetric int8; biases int32 with scale = input scale x weight scale.
"""

import argparse
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _consumers(graph):
    out = {}
    for n in graph.node:
        for i in n.input:
            out.setdefault(i, []).append(n)
    return out


# Operators whose float inputs and output are quantized: onnxruntime runs them as QLinear* kernels
# (Conv, Add, Mul, Sigmoid, Concat, pooling) or drops the Q/DQ around them (MaxPool, Resize), which
# keeps the graph in int8 between convolutions instead of converting back and forth.
QUANTIZED_OPS = {"Conv", "Add", "Mul", "Sigmoid", "Concat", "MaxPool", "Resize", "AveragePool",
                 "GlobalAveragePool"}
# Output shares the input's quantization parameters (a value-preserving op), so the Q/DQ pair can go.
SHARED_RANGE_OPS = {"MaxPool", "Resize"}


def _restore_fp32(model):
    """Undo export.py's float16 weight storage (initializer -> Cast) so the weights are plain initializers."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    for n in list(g.node):
        if n.op_type == "Cast" and n.input[0] in inits and inits[n.input[0]].data_type == TensorProto.FLOAT16:
            arr = numpy_helper.to_array(inits[n.input[0]]).astype(np.float32)
            g.initializer.remove(inits.pop(n.input[0]))
            g.initializer.append(numpy_helper.from_array(arr, n.output[0]))
            g.node.remove(n)
    return model


def _plan(model):
    """The quantization plan: Convs with int8 weights, Relus folded into them, activation tensors to
    calibrate, outputs sharing their input's range, and initializers of Add/Mul to quantize."""
    g = model.graph
    inits = {i.name for i in g.initializer}
    constants = {o for n in g.node if n.op_type == "Constant" for o in n.output}
    consumers = _consumers(g)
    graph_outputs = {o.name for o in g.output}
    convs, relu_after, shared, const_inputs = [], {}, {}, set()
    tensors = set()
    for n in g.node:
        if n.op_type not in QUANTIZED_OPS:
            continue
        if n.op_type == "Conv":
            if n.input[1] not in inits:
                continue
            convs.append(n.name)
            data_inputs = [n.input[0]]
        elif n.op_type in ("Resize", "MaxPool", "AveragePool", "GlobalAveragePool", "Sigmoid"):
            data_inputs = [n.input[0]]
        else:
            if any(i in constants for i in n.input):
                continue
            data_inputs = [i for i in n.input if i not in inits]
            const_inputs.update(i for i in n.input if i in inits)
        out = n.output[0]
        users = consumers.get(out, [])
        if n.op_type == "Conv" and len(users) == 1 and users[0].op_type == "Relu" and out not in graph_outputs:
            relu_after[n.name] = users[0].name
            out = users[0].output[0]
        tensors.update(data_inputs)
        if out not in graph_outputs:
            tensors.add(out)
            if n.op_type in SHARED_RANGE_OPS:
                shared[out] = n.input[0]
    tensors.discard("")
    return convs, relu_after, sorted(tensors), shared, sorted(const_inputs)


def prepare(model_path, out_path, tensors_path):
    """Copy of the model exposing every tensor to calibrate as an extra graph output."""
    model = _restore_fp32(onnx.load(model_path))
    tensors = _plan(model)[2]
    existing = {o.name for o in model.graph.output}
    for t in tensors:
        if t not in existing:
            model.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
    onnx.save(model, out_path)
    with open(tensors_path, "w") as f:
        json.dump({"tensors": tensors}, f, indent=1)
    return tensors


def _act_qparams(lo, hi):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(round(-lo / scale))
    return np.float32(scale), np.uint8(min(255, max(0, zp)))


def finalize(model_path, ranges_path, out_path):
    model = _restore_fp32(onnx.load(model_path))
    with open(ranges_path) as f:
        ranges = json.load(f)["ranges"]
    g = model.graph
    convs, relu_after, tensors, shared, const_inputs = _plan(model)
    missing = [t for t in tensors if t not in ranges]
    if missing:
        raise SystemExit(f"quantize.py: {ranges_path} has no range for {len(missing)} tensors (first: {missing[0]}); "
                         "calibrate with the tensors list of this model")
    convs = set(convs)
    inits = {i.name: i for i in g.initializer}
    nodes_by_name = {n.name: n for n in g.node}
    # 1. Drop Relus folded into their Conv's output quantization; the Conv writes the Relu's tensor.
    for conv_name, relu_name in relu_after.items():
        conv, relu = nodes_by_name[conv_name], nodes_by_name[relu_name]
        conv.output[0] = relu.output[0]
        g.node.remove(relu)
    new_inits, qdq_nodes = [], []
    scales = {}
    for out, inp in shared.items():
        ranges[out] = ranges[inp]
    for c in const_inputs:
        values = numpy_helper.to_array(inits[c])
        ranges[c] = [float(values.min()), float(values.max())]
    for t in tensors + const_inputs:
        scale, zp = _act_qparams(*ranges[t])
        scales[t] = scale
        new_inits.extend([numpy_helper.from_array(np.array(scale), t + "_scale"),
                          numpy_helper.from_array(np.array(zp), t + "_zp")])
        qdq_nodes.append(helper.make_node("QuantizeLinear", [t, t + "_scale", t + "_zp"], [t + "_q"], name=t + "_Q"))
        qdq_nodes.append(helper.make_node("DequantizeLinear", [t + "_q", t + "_scale", t + "_zp"], [t + "_dq"],
                                          name=t + "_DQ"))
    replaced = set()
    for n in g.node:
        if n.name not in convs:
            continue
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        w_scale = np.abs(w).reshape(w.shape[0], -1).max(1) / 127.0
        w_scale = np.where(w_scale > 0, w_scale, 1.0).astype(np.float32)
        w_q = np.clip(np.round(w / w_scale.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
        params = [(n.input[1], w_q, w_scale, np.zeros(w.shape[0], np.int8))]
        if len(n.input) > 2 and n.input[2]:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float32)
            b_scale = (scales[n.input[0]] * w_scale).astype(np.float32)
            params.append((n.input[2], np.round(b / b_scale).astype(np.int32), b_scale, np.zeros(b.shape[0], np.int32)))
        for i, (name, q, scale, zp) in enumerate(params, start=1):
            new_inits.extend([numpy_helper.from_array(q, name + "_q"), numpy_helper.from_array(scale, name + "_scale"),
                              numpy_helper.from_array(zp, name + "_zp")])
            qdq_nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zp"],
                                              [name + "_dq"], name=name + "_DQ", axis=0))
            n.input[i] = name + "_dq"
            replaced.add(name)
    # Every consumer of a quantized activation reads its dequantized copy (graph outputs stay float).
    for n in g.node:
        for i, name in enumerate(n.input):
            if name in scales:
                n.input[i] = name + "_dq"
    # Quantized initializers (Add/Mul constants) are stored as uint8 behind their DequantizeLinear.
    for c in const_inputs:
        values = numpy_helper.to_array(inits[c]).astype(np.float32)
        q = np.clip(np.round(values / scales[c]) + int(numpy_helper.to_array(
            next(i for i in new_inits if i.name == c + "_zp"))), 0, 255).astype(np.uint8)
        new_inits.append(numpy_helper.from_array(q, c + "_q"))
        qdq_nodes[:] = [n for n in qdq_nodes if n.name != c + "_Q"]
        replaced.add(c)
    keep = [i for i in g.initializer if i.name not in replaced]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    all_nodes = list(g.node) + qdq_nodes
    del g.node[:]
    g.node.extend(_toposort(all_nodes, {i.name for i in g.initializer} | {i.name for i in g.input}))
    onnx.checker.check_model(model)
    onnx.save(model, out_path)
    return len(convs)


def _toposort(nodes, available):
    have = set(available)
    have.add("")
    pending, order = list(nodes), []
    while pending:
        progressed = []
        for n in pending:
            if all(i in have for i in n.input):
                order.append(n)
                have.update(n.output)
            else:
                progressed.append(n)
        if len(progressed) == len(pending):
            raise SystemExit(f"quantize.py: graph has a cycle or a missing input near {pending[0].name}")
        pending = progressed
    return order


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("prepare")
    a.add_argument("--model", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--tensors", required=True)
    b = sub.add_parser("finalize")
    b.add_argument("--model", required=True)
    b.add_argument("--ranges", required=True)
    b.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if args.cmd == "prepare":
        t = prepare(args.model, args.out, args.tensors)
        print(json.dumps({"tensors": len(t)}))
    else:
        n = finalize(args.model, args.ranges, args.out)
        print(json.dumps({"quantized_convs": n, "out": args.out}))


if __name__ == "__main__":
    main()
