"""The S3 client of faaslab_storage: path-style requests signed with SigV4
(Python 3 standard library only; imported by faaslab_storage.get())."""

import datetime
import hashlib
import hmac
import http.client
import urllib.parse
import xml.etree.ElementTree as ET


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
