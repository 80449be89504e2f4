"""120.uploader: download `url` and upload the bytes to the output prefix."""

import hashlib
import urllib.request

import faaslab_storage


def handler(event):
    m = faaslab_storage.Measurement()
    with m.phase("download"):
        with urllib.request.urlopen(event["url"], timeout=30) as reply:
            data = m.count("download", reply.read())
    with m.phase("compute"):
        digest = hashlib.sha256(data).hexdigest()
    key = f"{event['bucket']['output']}/{event['object']['key']}"
    with m.phase("upload"):
        faaslab_storage.get().upload(event["bucket"]["bucket"], key, m.count("upload", data))
    return {"output_key": key, "bytes": len(data), "sha256": digest, "measurement": m.as_dict()}
