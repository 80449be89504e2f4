"""The Google Cloud Storage client of faaslab_storage: its JSON API
(Python 3 standard library only; imported by faaslab_storage.get())."""

import json
import urllib.error
import urllib.parse
import urllib.request


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
