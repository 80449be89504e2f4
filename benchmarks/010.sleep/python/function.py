"""010.sleep: sleep for `event["sleep"]` seconds (0 makes it a no-op)."""

import time

import faaslab_storage


def handler(event):
    seconds = float(event.get("sleep", 0))
    if seconds < 0:
        raise ValueError("sleep must be non-negative")
    m = faaslab_storage.Measurement()
    with m.phase("compute"):
        if seconds > 0:
            time.sleep(seconds)
    return {"slept_s": seconds, "measurement": m.as_dict()}
