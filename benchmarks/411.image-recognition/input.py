"""Inputs and output validation of 411.image-recognition.

No model is downloaded: the generator writes a tiny convolutional classifier as an
ONNX file from the seed (faaslab_onnx, standard library only) into input prefix 0
and seeded PNG images (faaslab_media) into input prefix 1. The function runs the
model with onnxruntime (PyPI); the validator recomputes every image's class
probabilities in pure Python and compares.
"""

import faaslab_media
import faaslab_onnx

IMAGE = 32  # the model's input is 1 x 3 x IMAGE x IMAGE
SIZES = {"test": 1, "small": 5, "large": 20}


def generate_input(size, seed, storage):
    storage.upload(0, f"model-{seed}.onnx", faaslab_onnx.model(seed, IMAGE))
    keys = []
    for i in range(SIZES[size]):
        key = f"image-{seed}-{i}.png"
        storage.upload(1, key, faaslab_media.image(IMAGE, IMAGE, seed * 1000 + i))
        keys.append(key)
    return {
        "bucket": {"bucket": storage.bucket, "model": storage.inputs[0], "input": storage.inputs[1]},
        "object": {"model": f"model-{seed}.onnx", "images": keys},
        "seed": seed,
    }


def image_planes(seed_i):
    rows = faaslab_media.pixels(IMAGE, IMAGE, seed_i)
    return [[[row[3 * x + ch] / 255.0 for x in range(IMAGE)] for row in rows] for ch in range(3)]


def validate_output(payload, output):
    if not isinstance(output, dict) or not isinstance(output.get("predictions"), list):
        return False, "output has no `predictions` list"
    keys = payload["object"]["images"]
    got = output["predictions"]
    if len(got) != len(keys):
        return False, f"{len(got)} predictions for {len(keys)} images"
    seed = payload["seed"]
    for i, (key, p) in enumerate(zip(keys, got)):
        if not isinstance(p, dict) or p.get("image") != key:
            return False, f"prediction {i} is not for {key}"
        want = faaslab_onnx.classify(seed, image_planes(seed * 1000 + i))
        probs = p.get("probabilities")
        if not isinstance(probs, list) or len(probs) != len(want):
            return False, f"{key}: expected {len(want)} probabilities"
        if any(abs(a - b) > 1e-4 for a, b in zip(probs, want)):
            return False, f"{key}: probabilities differ from the model's"
        best = max(range(len(want)), key=want.__getitem__)
        if p.get("class") != best:
            return False, f"{key}: class {p.get('class')}, expected {best}"
    return True, "ok"
