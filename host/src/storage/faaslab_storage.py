"""Object storage for benchmark functions (Python 3 standard library only).

Shipped into every local-process code package next to faaslab_server.py. The host
passes the run's storage in the environment (host/src/storage/*.rs, `function_env`):
  FAASLAB_STORAGE_BACKEND   "local", "s3" or "gcs"
  FAASLAB_STORAGE_ROOT      local: directory holding one directory per bucket
  FAASLAB_STORAGE_ENDPOINT  s3: endpoint URL (path-style requests, SigV4);
                            gcs: base URL of the JSON API (Google's or an emulator's)
  AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN  s3
  FAASLAB_GCS_ACCESS_TOKEN  gcs: OAuth 2 bearer token (none: anonymous, for emulators)
Usage: storage = faaslab_storage.get(); storage.upload(bucket, key, data);
storage.download(bucket, key) -> bytes; storage.list(bucket, prefix) -> [(key, size)].
The S3 and GCS clients live in faaslab_storage_s3.py and faaslab_storage_gcs.py and
are imported only when the run uses them: a function's cold start does not pay for
http.client, ssl or xml when its storage is a local directory.

Benchmarks report where an invocation's time went with `Measurement` (returned as
`output["measurement"]`, copied by the host into the result record's `breakdown`):
  m = faaslab_storage.Measurement()
  with m.phase("download"): data = m.count("download", storage.download(bucket, key))
"""

import os
import time
from contextlib import contextmanager


class Measurement:
    """Download / compute / upload time (µs) and bytes of one invocation."""

    PHASES = ("download", "compute", "upload")

    def __init__(self):
        self.values = {f"{p}_us": 0 for p in self.PHASES}
        self.values.update(download_bytes=0, upload_bytes=0)

    @contextmanager
    def phase(self, name):
        if name not in self.PHASES:
            raise ValueError(f"unknown phase {name!r}")
        start = time.perf_counter_ns()
        try:
            yield self
        finally:
            self.values[f"{name}_us"] += (time.perf_counter_ns() - start) // 1000

    def count(self, name, data):
        """Add len(data) to the bytes downloaded or uploaded; returns data."""
        if name not in ("download", "upload"):
            raise ValueError(f"phase {name!r} counts no bytes")
        self.values[f"{name}_bytes"] += len(data)
        return data

    def as_dict(self):
        return dict(self.values)


class LocalStorage:
    def __init__(self, root):
        self.root = root

    def _path(self, bucket, key):
        parts = [p for p in key.split("/")]
        if not key or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"invalid key {key!r}")
        return os.path.join(self.root, bucket, *parts)

    def upload(self, bucket, key, data):
        path = self._path(bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="#")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def download(self, bucket, key):
        with open(self._path(bucket, key), "rb") as f:
            return f.read()

    def list(self, bucket, prefix):
        base = os.path.join(self.root, bucket)
        start = os.path.join(base, *prefix.strip("/").split("/")) if prefix.strip("/") else base
        out = []
        for dirpath, _, files in os.walk(start):
            for name in files:
                if name.startswith("#"):
                    continue
                path = os.path.join(dirpath, name)
                key = os.path.relpath(path, base).replace(os.sep, "/")
                out.append((key, os.path.getsize(path)))
        return sorted(out)


def get():
    """The run's storage, from the environment the host set."""
    backend = os.environ.get("FAASLAB_STORAGE_BACKEND")
    if backend == "local":
        return LocalStorage(os.environ["FAASLAB_STORAGE_ROOT"])
    if backend == "s3":
        from faaslab_storage_s3 import S3Storage

        return S3Storage(
            os.environ["FAASLAB_STORAGE_ENDPOINT"],
            os.environ.get("AWS_REGION", "us-east-1"),
            os.environ["AWS_ACCESS_KEY_ID"],
            os.environ["AWS_SECRET_ACCESS_KEY"],
            os.environ.get("AWS_SESSION_TOKEN"),
        )
    if backend == "gcs":
        from faaslab_storage_gcs import GcsStorage

        return GcsStorage(
            os.environ["FAASLAB_STORAGE_ENDPOINT"],
            os.environ.get("FAASLAB_GCS_ACCESS_TOKEN"),
        )
    raise RuntimeError(f"no function-side storage client for backend {backend!r}")
