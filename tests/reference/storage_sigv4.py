"""Checks faaslab_storage_s3.py's SigV4 signatures against botocore's (the reference
implementation; moto accepts unsigned requests, so the server tests cannot).

usage: python storage_sigv4.py <path of faaslab_storage_s3.py>   (botocore comes with moto)
"""

import datetime
import importlib.util
import sys

import botocore.auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2026, 11, 28, 12, 34, 56)
botocore.auth.get_current_datetime = lambda: NOW

spec = importlib.util.spec_from_file_location("faaslab_storage_s3", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

CASES = [
    ("PUT", "faaslab-benchmarks-x", "311.compression-0-input/test/file 1.txt", {}, b"some data"),
    ("GET", "faaslab-benchmarks-x", "a/b~c.bin", {}, b""),
    ("GET", "faaslab-benchmarks-x", "", {"list-type": "2", "prefix": "dir with space/"}, b""),
    ("DELETE", "faaslab-benchmarks-x", "k+y=1", {}, b""),
]

failures = 0
for token in (None, "session-token/+="):
    for region in ("us-east-1", "eu-west-1"):
        storage = module.S3Storage("http://127.0.0.1:9000", region, "AKIDEXAMPLE", "secret/key+x", token)
        for method, bucket, key, query, body in CASES:
            path, cq = storage._target(bucket, key, query)
            ours = storage._signed_headers(method, path, cq, body, NOW)
            url = "http://127.0.0.1:9000" + path + ("?" + cq if cq else "")
            request = AWSRequest(method=method, url=url, data=body)
            credentials = Credentials("AKIDEXAMPLE", "secret/key+x", token)
            S3SigV4Auth(credentials, "s3", region).add_auth(request)
            if ours["authorization"] != request.headers["Authorization"]:
                failures += 1
                print(f"MISMATCH {method} {url} token={token!r} region={region}", file=sys.stderr)
                print(f"  ours:     {ours['authorization']}", file=sys.stderr)
                print(f"  botocore: {request.headers['Authorization']}", file=sys.stderr)
print("ok" if not failures else f"{failures} mismatches")
sys.exit(1 if failures else 0)
