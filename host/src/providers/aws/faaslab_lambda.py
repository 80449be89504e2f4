"""faaslab's AWS Lambda handler (`faaslab_lambda.handler`), packaged at the top of
every zip beside `function/` (the benchmark) and `deps/` (its requirements).

Event from the SDK trigger: {"faaslab_request_id": "...", "event": {...}}; from the
Function URL the same JSON is the HTTP body. The reply follows docs/handler-protocol.md
plus `aws_request_id` (Lambda's id, the key of the REPORT line in CloudWatch Logs).
"""

import base64
import json
import os
import sys
import time
import traceback
import uuid

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "deps"))
sys.path.insert(0, os.path.join(_HERE, "function"))

import function  # noqa: E402  (the benchmark's handler module)

# One id per sandbox: a new sandbox imports this module again.
INSTANCE_ID = uuid.uuid4().hex
_state = {"cold": True}


def _unwrap(event):
    """The faaslab envelope, whether sent by the SDK or as a Function URL body."""
    if isinstance(event, dict) and "faaslab_request_id" in event:
        return event
    if isinstance(event, dict) and "body" in event and "requestContext" in event:
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        return json.loads(body) if body else {}
    return {"faaslab_request_id": "", "event": event}


def handler(event, context):
    is_cold = _state["cold"]
    _state["cold"] = False
    envelope = _unwrap(event)
    output, failure = None, None
    begin_us = time.time_ns() // 1000
    t0 = time.perf_counter_ns()
    try:
        output = function.handler(envelope.get("event") or {})
    except Exception as e:  # noqa: BLE001 - every failure is a measurement
        failure = f"{type(e).__name__}: {e}"
        traceback.print_exc()
    exec_us = (time.perf_counter_ns() - t0) // 1000
    reply = {
        "request_id": envelope.get("faaslab_request_id", ""),
        "aws_request_id": getattr(context, "aws_request_id", ""),
        "instance_id": INSTANCE_ID,
        "is_cold": is_cold,
        "begin_us": begin_us,
        "end_us": begin_us + exec_us,
        "exec_time_us": exec_us,
        "provider_time_us": exec_us,
        "output": output,
        "failure": failure,
    }
    try:
        json.dumps(reply)
    except (TypeError, ValueError) as e:
        reply["output"] = None
        reply["failure"] = f"output is not JSON-serialisable: {e}"
    return reply
