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

Benchmarks report where an invocation's time went with `Measurement` (returned as
`output["measurement"]`, copied by the host into the result record's `breakdown`):
  m = faaslab_storage.Measurement()
  with m.phase("download"): data = m.count("download", storage.download(bucket, key))
"""

import datetime
import hashlib
import hmac
import http.client
import os
import tempfile
import json
import time
from contextlib import contextmanager
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


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


class S3Storage:
    """Path-style S3 requests signed with AWS Signature Version 4."""

    def __init__(self, endpoint, region, access_key_id, secret_access_key, session_token=None):
        url = urllib.parse.urlsplit(endpoint)
        self.https = url.scheme == "https"
        self.host = url.netloc
        self.region = region
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token

    @staticmethod
    def _target(bucket, key, query):
        """Path-style request path and canonical query string."""
        path = "/" + urllib.parse.quote(bucket, safe="") + "/" + urllib.parse.quote(key, safe="/-_.~")
        canonical_query = "&".join(
            f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
            for k, v in sorted(query.items())
        )
        return path, canonical_query

    def _signed_headers(self, method, path, canonical_query, body, now):
        """Headers of a request signed with SigV4 at time `now` (UTC)."""
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        date = amz_date[:8]
        payload_hash = hashlib.sha256(body).hexdigest()
        headers = {
            "host": self.host,
            "x-amz-content-sha256": payload_hash,
            "x-amz-date": amz_date,
        }
        if self.session_token:
            headers["x-amz-security-token"] = self.session_token
        signed = ";".join(sorted(headers))
        canonical_headers = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers))
        canonical = "\n".join(
            [method, path, canonical_query, canonical_headers, signed, payload_hash]
        )
        scope = f"{date}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        key_bytes = ("AWS4" + self.secret_access_key).encode()
        for part in (date, self.region, "s3", "aws4_request"):
            key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key_id}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        return headers

    def _request(self, method, bucket, key="", query=None, body=b""):
        path, canonical_query = self._target(bucket, key, query or {})
        now = datetime.datetime.now(datetime.timezone.utc)
        headers = self._signed_headers(method, path, canonical_query, body, now)
        headers["content-length"] = str(len(body))
        conn_type = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        conn = conn_type(self.host, timeout=60)
        try:
            target = path + ("?" + canonical_query if canonical_query else "")
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if response.status >= 300:
            raise IOError(f"S3 {method} {bucket}/{key}: HTTP {response.status}")
        return data

    def upload(self, bucket, key, data):
        self._request("PUT", bucket, key, body=data)

    def download(self, bucket, key):
        return self._request("GET", bucket, key)

    def list(self, bucket, prefix):
        prefix = prefix.strip("/")
        query = {"list-type": "2"}
        if prefix:
            query["prefix"] = prefix + "/"
        out = []
        while True:
            root = ET.fromstring(self._request("GET", bucket, "", query))
            ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            for c in root.findall(f"{ns}Contents"):
                out.append((c.find(f"{ns}Key").text, int(c.find(f"{ns}Size").text)))
            token = root.find(f"{ns}NextContinuationToken")
            if root.findtext(f"{ns}IsTruncated") != "true" or token is None:
                return sorted(out)
            query["continuation-token"] = token.text


class GcsStorage:
    """Google Cloud Storage through its JSON API (media upload, alt=media download)."""

    def __init__(self, endpoint, access_token=None):
        self.endpoint = endpoint.rstrip("/")
        self.access_token = access_token

    def _request(self, method, url, body=None, what=""):
        headers = {}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        if body is not None:
            headers["Content-Type"] = "application/octet-stream"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            hint = ""
            if e.code in (401, 403) and not self.access_token:
                hint = " (no FAASLAB_GCS_ACCESS_TOKEN: give the run an access token)"
            raise IOError(f"GCS {method} {what}: HTTP {e.code}{hint}") from None

    @staticmethod
    def _quote(text):
        return urllib.parse.quote(text, safe="")

    def upload(self, bucket, key, data):
        url = (f"{self.endpoint}/upload/storage/v1/b/{self._quote(bucket)}/o"
               f"?uploadType=media&name={self._quote(key)}")
        self._request("POST", url, body=data, what=f"{bucket}/{key}")

    def download(self, bucket, key):
        url = f"{self.endpoint}/storage/v1/b/{self._quote(bucket)}/o/{self._quote(key)}?alt=media"
        return self._request("GET", url, what=f"{bucket}/{key}")

    def list(self, bucket, prefix):
        prefix = prefix.strip("/")
        query = {"prefix": prefix + "/"} if prefix else {}
        out = []
        while True:
            url = (f"{self.endpoint}/storage/v1/b/{self._quote(bucket)}/o?"
                   + urllib.parse.urlencode(query))
            page = json.loads(self._request("GET", url, what=f"{bucket}/{prefix}"))
            out.extend((item["name"], int(item["size"])) for item in page.get("items", []))
            token = page.get("nextPageToken")
            if not token:
                return sorted(out)
            query["pageToken"] = token


def get():
    """The run's storage, from the environment the host set."""
    backend = os.environ.get("FAASLAB_STORAGE_BACKEND")
    if backend == "local":
        return LocalStorage(os.environ["FAASLAB_STORAGE_ROOT"])
    if backend == "s3":
        return S3Storage(
            os.environ["FAASLAB_STORAGE_ENDPOINT"],
            os.environ.get("AWS_REGION", "us-east-1"),
            os.environ["AWS_ACCESS_KEY_ID"],
            os.environ["AWS_SECRET_ACCESS_KEY"],
            os.environ.get("AWS_SESSION_TOKEN"),
        )
    if backend == "gcs":
        return GcsStorage(
            os.environ["FAASLAB_STORAGE_ENDPOINT"],
            os.environ.get("FAASLAB_GCS_ACCESS_TOKEN"),
        )
    raise RuntimeError(f"no function-side storage client for backend {backend!r}")
