"""faaslab local-process function instance (Python 3 standard library only).

The host passes a listening socket as file descriptor 3 (or, in a container,
FAASLAB_PORT: the port to bind on all interfaces) and these variables:
FAASLAB_INSTANCE_ID, FAASLAB_CODE_DIR. The handler is `function.handler(event)`
from FAASLAB_CODE_DIR/function. Protocol: docs/handler-protocol.md.

The HTTP/1.1 server is written out here on a plain socket rather than taken from
`http.server`: that module pulls in `email`, `ssl` and friends, which cost more than
the rest of an instance's start (the host runs this file with `python3 -S`).
"""

import json
import os
import resource
import socket
import sys
import time

INSTANCE_ID = os.environ["FAASLAB_INSTANCE_ID"]
CODE_DIR = os.environ["FAASLAB_CODE_DIR"]
sys.path.insert(0, os.path.join(CODE_DIR, "deps"))
sys.path.insert(0, os.path.join(CODE_DIR, "function"))

import function  # noqa: E402  (the benchmark's handler module)

_state = {"cold": True}
MAX_HEADER_LINES = 100
MAX_LINE = 65536


class BadRequest(Exception):
    pass


def read_request(reader):
    """(method, path, headers, body) of the next request, or None at end of stream."""
    line = reader.readline(MAX_LINE + 1)
    while line in (b"\r\n", b"\n"):  # tolerated empty lines between requests
        line = reader.readline(MAX_LINE + 1)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise BadRequest("malformed request line")
    method, path, version = parts
    headers = {}
    for _ in range(MAX_HEADER_LINES):
        h = reader.readline(MAX_LINE + 1)
        if h in (b"\r\n", b"\n", b""):
            break
        name, sep, value = h.decode("latin-1").partition(":")
        if not sep:
            raise BadRequest("malformed header line")
        headers[name.strip().lower()] = value.strip()
    else:
        raise BadRequest("too many header lines")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise BadRequest("chunked request bodies are not supported: send Content-Length")
    try:
        length = int(headers.get("content-length") or 0)
    except ValueError:
        raise BadRequest("bad Content-Length") from None
    body = reader.read(length) if length > 0 else b""
    if len(body) != length:
        return None
    keep_alive = headers.get("connection", "").lower() != "close" and version != "HTTP/1.0"
    return method, path, headers, body, keep_alive


def send(conn, status, body):
    data = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    head = (
        f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    conn.sendall(head.encode("latin-1") + data)


def invoke(conn, headers, body, received):
    request_id = headers.get("x-faaslab-request-id", "")
    is_cold = _state["cold"]
    _state["cold"] = False
    output, failure = None, None
    begin_us, t0, t1 = time.time_ns() // 1000, received, received
    try:
        event = json.loads(body) if body else {}
        begin_us = time.time_ns() // 1000
        t0 = time.perf_counter_ns()
        try:
            output = function.handler(event)
        finally:
            t1 = time.perf_counter_ns()
    except BaseException as e:  # noqa: BLE001 - every failure is a measurement
        failure = f"{type(e).__name__}: {e}"
        import traceback  # only failures pay for it

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
        send(conn, 200, reply)
    except (TypeError, ValueError) as e:
        reply["output"] = None
        reply["failure"] = f"output is not JSON-serialisable: {e}"
        send(conn, 200, reply)
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


def serve_connection(conn):
    """Requests on one connection, one at a time, as the host sends them."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = conn.makefile("rb")
    try:
        while True:
            try:
                request = read_request(reader)
            except BadRequest as e:
                send(conn, 400, {"error": str(e)})
                return
            if request is None:
                return
            method, path, headers, body, keep_alive = request
            received = time.perf_counter_ns()
            if method == "GET" and path == "/health":
                send(conn, 200, {"instance_id": INSTANCE_ID, "pid": os.getpid()})
            elif method == "POST":
                invoke(conn, headers, body, received)
            elif method == "GET":
                send(conn, 404, {"error": "not found"})
            else:
                send(conn, 405, {"error": f"method {method} not allowed"})
            if not keep_alive:
                return
    except (ConnectionError, OSError):
        return
    finally:
        reader.close()
        conn.close()


def main():
    port = os.environ.get("FAASLAB_PORT")
    if port:
        # Containers (local-docker): no inherited fd 3, bind the given port instead.
        sock = socket.create_server(("0.0.0.0", int(port)), backlog=64)
    else:
        sock = socket.socket(fileno=3)
    while True:
        conn, _ = sock.accept()
        serve_connection(conn)


if __name__ == "__main__":
    main()
