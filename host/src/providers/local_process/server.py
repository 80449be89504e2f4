"""faaslab local-process function instance (Python 3 standard library only).

The host passes a listening socket as file descriptor 3 (or, in a container,
FAASLAB_PORT: the port to bind on all interfaces) and these variables:
FAASLAB_INSTANCE_ID, FAASLAB_CODE_DIR. The handler is `function.handler(event)`
from FAASLAB_CODE_DIR/function. Protocol: docs/handler-protocol.md.
"""

import json
import os
import resource
import socket
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer

INSTANCE_ID = os.environ["FAASLAB_INSTANCE_ID"]
CODE_DIR = os.environ["FAASLAB_CODE_DIR"]
sys.path.insert(0, os.path.join(CODE_DIR, "deps"))
sys.path.insert(0, os.path.join(CODE_DIR, "function"))

import function  # noqa: E402  (the benchmark's handler module)

_state = {"cold": True}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self._reply(200, {"instance_id": INSTANCE_ID, "pid": os.getpid()})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self):
        received = time.perf_counter_ns()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request_id = self.headers.get("X-Faaslab-Request-Id", "")
        is_cold = _state["cold"]
        _state["cold"] = False
        output, failure = None, None
        try:
            event = json.loads(body) if body else {}
            begin_us = time.time_ns() // 1000
            t0 = time.perf_counter_ns()
            try:
                output = function.handler(event)
            finally:
                t1 = time.perf_counter_ns()
        except BaseException as e:  # noqa: BLE001 - every failure is a measurement
            if "t0" not in locals():
                begin_us, t0, t1 = time.time_ns() // 1000, received, received
            failure = f"{type(e).__name__}: {e}"
            traceback.print_exc()
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
        exec_us = (t1 - t0) // 1000
        reply = {
            "request_id": request_id,
            "instance_id": INSTANCE_ID,
            "is_cold": is_cold,
            "begin_us": begin_us,
            "end_us": begin_us + exec_us,
            "exec_time_us": exec_us,
            "output": output,
            "failure": failure,
        }
        reply["provider_time_us"] = (time.perf_counter_ns() - received) // 1000
        try:
            self._reply(200, reply)
        except (TypeError, ValueError) as e:
            reply["output"] = None
            reply["failure"] = f"output is not JSON-serialisable: {e}"
            self._reply(200, reply)
        report(request_id, (time.perf_counter_ns() - received) // 1000)


def report(request_id, duration_us):
    """One log line per request, as a platform's log would have it (docs/experiments.md):
    the duration runs until the reply is written, as a platform's billed duration does."""
    line = {
        "request_id": request_id,
        "duration_us": duration_us,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print("FAASLAB-REPORT " + json.dumps(line), file=sys.stderr, flush=True)


def main():
    port = os.environ.get("FAASLAB_PORT")
    if port:
        # Containers (local-docker): no inherited fd 3, bind the given port instead.
        sock = socket.create_server(("0.0.0.0", int(port)), backlog=64)
    else:
        sock = socket.socket(fileno=3)
    server = HTTPServer(sock.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.serve_forever(poll_interval=3600)


if __name__ == "__main__":
    main()
