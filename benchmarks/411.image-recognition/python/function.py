"""411.image-recognition: classify images with an ONNX model (onnxruntime)."""

import io

import faaslab_storage
import numpy as np
import onnxruntime
from PIL import Image

_sessions = {}


def session(storage, bucket, key, m):
    """The model's inference session, loaded once per instance (warm calls reuse it)."""
    if key not in _sessions:
        with m.phase("download"):
            model = m.count("download", storage.download(bucket, key))
        with m.phase("compute"):
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            _sessions[key] = onnxruntime.InferenceSession(
                model, options, providers=["CPUExecutionProvider"]
            )
    return _sessions[key]


def handler(event):
    storage = faaslab_storage.get()
    bucket = event["bucket"]["bucket"]
    m = faaslab_storage.Measurement()
    model = session(storage, bucket, f"{event['bucket']['model']}/{event['object']['model']}", m)
    size = model.get_inputs()[0].shape[2]
    predictions = []
    for key in event["object"]["images"]:
        with m.phase("download"):
            data = m.count("download", storage.download(bucket, f"{event['bucket']['input']}/{key}"))
        with m.phase("compute"):
            image = Image.open(io.BytesIO(data)).convert("RGB").resize((size, size))
            x = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)[None] / 255.0
            probs = model.run(["probabilities"], {"image": x})[0][0]
        predictions.append(
            {"image": key, "class": int(np.argmax(probs)), "probabilities": [float(p) for p in probs]}
        )
    return {"predictions": predictions, "measurement": m.as_dict()}
