"""Compiles the risk model's ONNX file into the dense form the WebAssembly loads.

The runtime carries tract-core only, not tract-onnx: ONNX parsing, the
inference-level ops and every ONNX operator tract-onnx registers were about half
of a 20 MB module, paid at every cold start. This script reads the
weights out of the ONNX graph once, at build time, and refuses any graph that is
not what the runtime rebuilds: a multilayer perceptron (MatMul, Add, then Relu or
Sigmoid per layer; an optional leading Cast to float) whose last layer has one
logistic unit, optionally followed by skl2onnx's [1 - p, p] probability head.

Output (little-endian): b"AGDENSE1", the SHA-256 of the ONNX file (so a test can
tell a stale compilation), u32 layer count, then per layer u32 inputs, u32 outputs,
u32 activation (1 relu, 2 sigmoid), inputs*outputs f32 weights (row-major,
[inputs][outputs]) and outputs f32 biases.

    python3 scripts/sim/compile_model.py models/risk-v1.onnx models/risk-v1.dense
"""

import hashlib
import struct
import sys

import onnx
from onnx import numpy_helper

ACTIVATIONS = {"Relu": 1, "Sigmoid": 2}


def fail(message):
    sys.exit(f"compile_model: {message}")


def layers(model):
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    nodes = list(model.graph.node)
    if nodes and nodes[0].op_type == "Cast":
        if onnx.helper.get_attribute_value(nodes[0].attribute[0]) != onnx.TensorProto.FLOAT:
            fail("the leading Cast must be to float")
        nodes = nodes[1:]
    out = []
    while len(nodes) >= 3 and [n.op_type for n in nodes[:2]] == ["MatMul", "Add"] and nodes[2].op_type in ACTIVATIONS:
        matmul, add, act = nodes[:3]
        w, b = init.get(matmul.input[1]), init.get(add.input[1])
        if w is None or b is None or w.ndim != 2:
            fail(f"layer {len(out)}: weights and bias must be constants")
        if add.input[0] != matmul.output[0] or act.input[0] != add.output[0]:
            fail(f"layer {len(out)}: not a chain MatMul -> Add -> activation")
        b = b.reshape(-1)
        if b.shape[0] != w.shape[1] or (out and out[-1][0].shape[1] != w.shape[0]):
            fail(f"layer {len(out)}: shapes do not chain")
        out.append((w.astype("<f4"), b.astype("<f4"), ACTIVATIONS[act.op_type]))
        nodes = nodes[3:]
    # skl2onnx's binary head: [1 - p, p]; the runtime returns p.
    if [n.op_type for n in nodes] not in ([], ["Sub", "Concat"]):
        fail(f"unsupported operators after the dense layers: {[n.op_type for n in nodes]}")
    if not out or out[-1][2] != 2 or out[-1][0].shape[1] != 1:
        fail("the last layer must be one sigmoid unit (a binary classifier)")
    return out


def main():
    if len(sys.argv) != 3:
        fail("usage: compile_model.py MODEL.onnx OUT.dense")
    source = open(sys.argv[1], "rb").read()
    dense = layers(onnx.load_from_string(source))
    blob = bytearray(b"AGDENSE1" + hashlib.sha256(source).digest() + struct.pack("<I", len(dense)))
    for w, b, act in dense:
        blob += struct.pack("<III", w.shape[0], w.shape[1], act) + w.tobytes() + b.tobytes()
    with open(sys.argv[2], "wb") as f:
        f.write(blob)
    shapes = " -> ".join([str(dense[0][0].shape[0])] + [str(w.shape[1]) for w, _, _ in dense])
    print(f"compile_model: {shapes}, {len(blob)} bytes -> {sys.argv[2]}")


if __name__ == "__main__":
    main()
