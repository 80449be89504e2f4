"""Inputs and output validation of 210.thumbnailer.

The generator draws a seeded PNG (faaslab_media, standard library only) into the
input prefix; the function shrinks it to fit `width` x `height`, keeping its aspect.
"""

import faaslab_media

SIZES = {"test": (320, 240), "small": (1024, 768), "large": (2048, 1536)}
THUMBNAIL = (200, 200)


def generate_input(size, seed, storage):
    width, height = SIZES[size]
    key = f"{size}-{seed}.png"
    storage.upload(0, key, faaslab_media.image(width, height, seed))
    return {
        "bucket": {"bucket": storage.bucket, "input": storage.inputs[0], "output": storage.outputs[0]},
        "object": {"key": key, "width": THUMBNAIL[0], "height": THUMBNAIL[1]},
        "source": {"width": width, "height": height},
    }


def validate_output(payload, output):
    if not isinstance(output, dict):
        return False, "output is not an object"
    want_key = f"{payload['bucket']['output']}/{payload['object']['key']}"
    if output.get("output_key") != want_key:
        return False, f"thumbnail written to {output.get('output_key')}, expected {want_key}"
    sw, sh = payload["source"]["width"], payload["source"]["height"]
    if output.get("source") != [sw, sh]:
        return False, f"read an image of {output.get('source')}, expected {[sw, sh]}"
    tw, th = payload["object"]["width"], payload["object"]["height"]
    size = output.get("size")
    if not isinstance(size, list) or len(size) != 2:
        return False, "no thumbnail `size`"
    w, h = size
    if w > tw or h > th or max(w / tw, h / th) < 0.99:
        return False, f"thumbnail {w}x{h} does not fit {tw}x{th} snugly"
    if abs(w / h - sw / sh) > 0.02:
        return False, f"thumbnail {w}x{h} lost the aspect ratio of {sw}x{sh}"
    if not isinstance(output.get("bytes"), int) or output["bytes"] <= 0:
        return False, "thumbnail is empty"
    return True, "ok"
