"""900.flaky: fails the first `succeed_every - 1` calls of every `succeed_every`.

Calls are counted per instance (and per `key` of the event): with requests sent one
after another to one instance, each request's first two attempts fail and its third
succeeds (`succeed_every` = 3). `sleep` (seconds) makes every call take a while.
"""

import time

_calls = {}


def handler(event):
    key = str(event.get("key", ""))
    period = int(event.get("succeed_every", 3))
    if period < 1:
        raise ValueError("succeed_every must be at least 1")
    seconds = float(event.get("sleep", 0))
    if seconds > 0:
        time.sleep(seconds)
    _calls[key] = _calls.get(key, 0) + 1
    n = _calls[key]
    if n % period != 0:
        raise RuntimeError(f"flaky: call {n} fails (every {period}th succeeds)")
    return {"attempts": period, "calls": n}
