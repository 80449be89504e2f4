"""110.dynamic-html: render a page with `random_len` random numbers for a user."""

import hashlib
import html
import random
import string
from datetime import datetime, timezone

import faaslab_storage

PAGE = string.Template(
    """<!DOCTYPE html>
<html>
  <head><title>Randomly generated data.</title></head>
  <body>
    <p>Welcome ${username}!</p>
    <p>Data generated at: ${cur_time}!</p>
    <p>Requested random numbers:</p>
    <ul>
${rows}
    </ul>
  </body>
</html>
"""
)

# Pages above this size are described (bytes, sha256) but not returned.
MAX_RETURNED_HTML = 32 * 1024


def handler(event):
    m = faaslab_storage.Measurement()
    with m.phase("compute"):
        out = render(event)
    out["measurement"] = m.as_dict()
    return out


def render(event):
    count = int(event["random_len"])
    rng = random.Random(event.get("seed", 0))
    numbers = [rng.randint(0, 1000000) for _ in range(count)]
    page = PAGE.substitute(
        username=html.escape(str(event.get("username", "anonymous"))),
        cur_time=datetime.now(timezone.utc).isoformat(),
        rows="\n".join(f"      <li>{n}</li>" for n in numbers),
    )
    data = page.encode()
    return {
        "rows": count,
        "html_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "html": page if len(data) <= MAX_RETURNED_HTML else None,
    }
