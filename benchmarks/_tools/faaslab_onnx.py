"""A tiny image classifier written as an ONNX model with the standard library.

Used by 411.image-recognition's generator (the model is made from the seed at
generate time: nothing is downloaded) and validator (which recomputes the class
probabilities in pure Python). The network, for a 1x3xSxS float image in [0, 1]:
Conv(8 filters 3x3, bias) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(8 -> 10)
-> Softmax. The ONNX file is a protobuf ModelProto encoded by hand below (field
numbers from onnx.proto: ModelProto, GraphProto, NodeProto, TensorProto,
ValueInfoProto, TypeProto).
"""

import math
import random
import struct

FILTERS, KERNEL, CLASSES = 8, 3, 10
FLOAT = 1  # TensorProto.FLOAT
OPSET = 13
IR_VERSION = 7


def weights(seed):
    rng = random.Random(seed)
    conv_w = [round(rng.uniform(-0.5, 0.5), 4) for _ in range(FILTERS * 3 * KERNEL * KERNEL)]
    conv_b = [round(rng.uniform(-0.1, 0.1), 4) for _ in range(FILTERS)]
    fc_w = [round(rng.uniform(-4.0, 4.0), 4) for _ in range(CLASSES * FILTERS)]
    fc_b = [round(rng.uniform(-0.2, 0.2), 4) for _ in range(CLASSES)]
    return conv_w, conv_b, fc_w, fc_b


# --- protobuf wire format -------------------------------------------------------

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number, wire, payload):
    return _varint((number << 3) | wire) + payload


def _int(number, value):
    return _field(number, 0, _varint(value))


def _bytes(number, data):
    if isinstance(data, str):
        data = data.encode()
    return _field(number, 2, _varint(len(data)) + data)


def _tensor(name, dims, values):
    return b"".join(
        [_int(1, d) for d in dims]
        + [_int(2, FLOAT), _bytes(8, name), _bytes(9, struct.pack(f"<{len(values)}f", *values))]
    )


def _value_info(name, dims):
    shape = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in dims)
    tensor_type = _int(1, FLOAT) + _bytes(2, shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


def _attr_ints(name, values):
    # AttributeProto: name = 1, type = 20 (INTS = 7), ints = 8
    return _bytes(1, name) + _int(20, 7) + b"".join(_int(8, v) for v in values)


def _attr_int(name, value):
    # AttributeProto: name = 1, type = 20 (INT = 2), i = 3
    return _bytes(1, name) + _int(20, 2) + _int(3, value)


def _node(op, inputs, outputs, attrs=()):
    return b"".join(
        [_bytes(1, i) for i in inputs]
        + [_bytes(2, o) for o in outputs]
        + [_bytes(3, f"{op.lower()}_0"), _bytes(4, op)]
        + [_bytes(5, a) for a in attrs]
    )


def model(seed, size):
    """Serialized ONNX model for 1x3x`size`x`size` images."""
    conv_w, conv_b, fc_w, fc_b = weights(seed)
    nodes = [
        _node("Conv", ["image", "conv_w", "conv_b"], ["conv"], [_attr_ints("kernel_shape", [KERNEL, KERNEL])]),
        _node("Relu", ["conv"], ["relu"]),
        _node("GlobalAveragePool", ["relu"], ["pooled"]),
        _node("Flatten", ["pooled"], ["features"]),
        _node("Gemm", ["features", "fc_w", "fc_b"], ["logits"], [_attr_int("transB", 1)]),
        _node("Softmax", ["logits"], ["probabilities"], [_attr_int("axis", 1)]),
    ]
    initializers = [
        _tensor("conv_w", [FILTERS, 3, KERNEL, KERNEL], conv_w),
        _tensor("conv_b", [FILTERS], conv_b),
        _tensor("fc_w", [CLASSES, FILTERS], fc_w),
        _tensor("fc_b", [CLASSES], fc_b),
    ]
    graph = b"".join(
        [_bytes(1, n) for n in nodes]
        + [_bytes(2, "faaslab-tiny-classifier")]
        + [_bytes(5, t) for t in initializers]
        + [_bytes(11, _value_info("image", ["batch", 3, size, size]))]
        + [_bytes(12, _value_info("probabilities", ["batch", CLASSES]))]
    )
    opset = _bytes(1, "") + _int(2, OPSET)
    return _int(1, IR_VERSION) + _bytes(2, "faaslab") + _bytes(7, graph) + _bytes(8, opset)


def classify(seed, image):
    """Class probabilities of one image (channels x rows x columns, floats), in pure Python."""
    conv_w, conv_b, fc_w, fc_b = weights(seed)
    rows, cols = len(image[0]), len(image[0][0])
    out_r, out_c = rows - KERNEL + 1, cols - KERNEL + 1
    features = []
    for f in range(FILTERS):
        total = 0.0
        for r in range(out_r):
            for c in range(out_c):
                acc = conv_b[f]
                for ch in range(3):
                    base = ((f * 3) + ch) * KERNEL * KERNEL
                    plane = image[ch]
                    for kr in range(KERNEL):
                        line = plane[r + kr]
                        for kc in range(KERNEL):
                            acc += conv_w[base + kr * KERNEL + kc] * line[c + kc]
                total += acc if acc > 0 else 0.0
        features.append(total / (out_r * out_c))
    logits = [fc_b[k] + sum(fc_w[k * FILTERS + f] * features[f] for f in range(FILTERS)) for k in range(CLASSES)]
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    s = sum(exps)
    return [e / s for e in exps]
