"""210.thumbnailer: shrink an image from storage to fit width x height (Pillow)."""

import io

import faaslab_storage
from PIL import Image


def handler(event):
    bucket = event["bucket"]["bucket"]
    key = event["object"]["key"]
    storage = faaslab_storage.get()
    m = faaslab_storage.Measurement()
    with m.phase("download"):
        data = m.count("download", storage.download(bucket, f"{event['bucket']['input']}/{key}"))
    with m.phase("compute"):
        image = Image.open(io.BytesIO(data))
        source = list(image.size)
        image.thumbnail((int(event["object"]["width"]), int(event["object"]["height"])))
        out = io.BytesIO()
        image.save(out, format="PNG")
        thumbnail = out.getvalue()
    output_key = f"{event['bucket']['output']}/{key}"
    with m.phase("upload"):
        storage.upload(bucket, output_key, m.count("upload", thumbnail))
    return {
        "output_key": output_key,
        "source": source,
        "size": list(image.size),
        "bytes": len(thumbnail),
        "measurement": m.as_dict(),
    }
