"""Entry point of faaslab's Lambda container images: a client of the Lambda Runtime API
(the loop every custom runtime runs), standard library only.

Lambda starts the image with `AWS_LAMBDA_RUNTIME_API` (host:port of the API) and the
image's CMD (the handler, `faaslab_lambda.handler`) as the argument. The loop: fetch the
next event (`GET /runtime/invocation/next`, which carries the request id and deadline in
headers), call the handler, post its result (`.../response`) or the failure
(`.../error`). A handler that cannot be imported is reported to `/runtime/init/error`.
"""

import importlib
import json
import os
import sys
import time
import traceback
import urllib.request

API = f"http://{os.environ.get('AWS_LAMBDA_RUNTIME_API', '127.0.0.1:9001')}/2018-06-01/runtime"
TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")


class Context:
    def __init__(self, request_id, deadline_ms):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "0"))
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def post(path, body):
    request = urllib.request.Request(
        API + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request).close()


def failure(e):
    return {
        "errorMessage": str(e),
        "errorType": type(e).__name__,
        "stackTrace": traceback.format_exception(e),
    }


def main():
    sys.path.insert(0, TASK_ROOT)
    name = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")
    try:
        module_name, func_name = name.rsplit(".", 1)
        handler = getattr(importlib.import_module(module_name), func_name)
    except Exception as e:  # noqa: BLE001 - reported to Lambda, then exit
        post("/init/error", failure(e))
        sys.exit(1)
    while True:
        with urllib.request.urlopen(API + "/invocation/next") as r:
            request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
            deadline_ms = int(r.headers.get("Lambda-Runtime-Deadline-Ms") or 0)
            body = r.read()
        try:
            result = handler(json.loads(body or b"{}"), Context(request_id, deadline_ms))
        except Exception as e:  # noqa: BLE001 - every failure goes back to Lambda
            traceback.print_exc()
            post(f"/invocation/{request_id}/error", failure(e))
            continue
        post(f"/invocation/{request_id}/response", result)


if __name__ == "__main__":
    main()
