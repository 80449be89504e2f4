"""Entry point of faaslab's Lambda-like runtime image for the moto emulator.

moto runs `<image> <handler> <event JSON>` with the code in /var/task and the function
settings in the environment (AWS_LAMBDA_FUNCTION_*), then takes the last stdout line as
the result and every line as the function's CloudWatch log. Like Lambda, this prints
START / END / REPORT lines (Duration, Billed Duration, Memory Size, Max Memory Used,
Init Duration; `Status: timeout` when the function timeout passes). Each invocation is
a new container in moto, so each is a cold start.
"""

import importlib
import json
import math
import os
import resource
import signal
import sys
import time
import uuid

t_start = time.perf_counter()
request_id = str(uuid.uuid4())
handler_name, event_text = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
memory_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
timeout_s = int(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))


class Context:
    aws_request_id = request_id
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    memory_limit_in_mb = memory_mb
    log_group_name = f"/aws/lambda/{function_name}"
    log_stream_name = "emulator"

    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.perf_counter()) * 1000))


def log(line):
    print(line, file=sys.stderr, flush=True)


def max_memory_mb():
    return math.ceil(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def report(duration_s, init_s, status=None):
    fields = [
        f"RequestId: {request_id}",
        f"Duration: {duration_s * 1000:.2f} ms",
        f"Billed Duration: {math.ceil(duration_s * 1000)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_memory_mb()} MB",
        f"Init Duration: {init_s * 1000:.2f} ms",
    ]
    if status:
        fields.append(f"Status: {status}")
    log(f"END RequestId: {request_id}")
    log("REPORT " + "\t".join(fields))


sys.path.insert(0, "/var/task")
module_name, func_name = handler_name.rsplit(".", 1)
func = getattr(importlib.import_module(module_name), func_name)
init_s = time.perf_counter() - t_start
log(f"START RequestId: {request_id} Version: $LATEST")
t0 = time.perf_counter()
deadline = t0 + timeout_s


def on_timeout(signum, frame):
    report(time.perf_counter() - t0, init_s, "timeout")
    print(json.dumps({"errorMessage": f"Task timed out after {timeout_s:.2f} seconds"}))
    sys.stdout.flush()
    os._exit(1)


signal.signal(signal.SIGALRM, on_timeout)
signal.alarm(timeout_s)
try:
    result = func(json.loads(event_text), Context())
    failed = False
except Exception as e:  # noqa: BLE001
    result = {"errorMessage": str(e), "errorType": type(e).__name__}
    failed = True
signal.alarm(0)
report(time.perf_counter() - t0, init_s, "error" if failed else None)
print(json.dumps(result), flush=True)
sys.exit(1 if failed else 0)
