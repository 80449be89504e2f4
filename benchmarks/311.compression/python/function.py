"""311.compression: zip a directory read from storage and write the archive back."""

import hashlib
import io
import zipfile

import faaslab_storage

# Fixed timestamps: the same input gives the same archive.
EPOCH = (1980, 1, 1, 0, 0, 0)


def handler(event):
    bucket = event["bucket"]["bucket"]
    prefix = f"{event['bucket']['input']}/{event['object']['key']}"
    storage = faaslab_storage.get()
    m = faaslab_storage.Measurement()
    with m.phase("download"):
        objects = storage.list(bucket, prefix)
        files = [(key, m.count("download", storage.download(bucket, key))) for key, _size in objects]
    buf = io.BytesIO()
    input_bytes = 0
    with m.phase("compute"):
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            for key, data in files:
                input_bytes += len(data)
                info = zipfile.ZipInfo(key[len(prefix) + 1 :], EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        data = buf.getvalue()
    output_key = f"{event['bucket']['output']}/{event['object']['key']}.zip"
    with m.phase("upload"):
        storage.upload(bucket, output_key, m.count("upload", data))
    return {
        "output_key": output_key,
        "files": len(objects),
        "input_bytes": input_bytes,
        "archive_bytes": len(data),
        "archive_sha256": hashlib.sha256(data).hexdigest(),
        "measurement": m.as_dict(),
    }
