"""Hostile fixture (WASI): tries to read host files, list directories, read the
environment, open sockets, and floods stdout/stderr with ANSI escapes. Returns, as
JSON, what each attempt saw."""

import json
import os
import sys

import wit_world


def attempt(fn):
    try:
        return "ok: " + repr(fn())[:200]
    except BaseException as e:  # noqa: BLE001 - report whatever the sandbox raised
        return f"{type(e).__name__}: {e}"[:300]


def read_file(path):
    with open(path, "rb") as f:
        return f.read(100)


def connect(host, port):
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect((host, port))
    return "connected"


class WitWorld(wit_world.WitWorld):
    def run(self, config: str) -> str:
        exp = json.loads(config).get("experiment", {})
        seen = {
            "read_passwd": attempt(lambda: read_file("/etc/passwd")),
            "read_cwd_file": attempt(lambda: read_file("Cargo.toml")),
            "list_root": attempt(lambda: os.listdir("/")),
            "write_file": attempt(lambda: open("/tmp/faaslab-escape", "w").write("x")),
            "environ": attempt(lambda: dict(os.environ)),
            "getenv_home": attempt(lambda: os.environ.get("HOME")),
            "socket_connect": attempt(lambda: connect("127.0.0.1", int(exp.get("port", 9)))),
            "dns": attempt(lambda: __import__("socket").getaddrinfo("localhost", 80)),
        }
        line = "\x1b[31mflood\x1b[0m \x1b]0;pwned\x07" + "z" * 1000 + "\n"
        for _ in range(int(exp.get("flood_lines", 0))):
            sys.stdout.write(line)
            sys.stderr.write(line)
        sys.stdout.flush()
        seen["after_flood"] = "still running"
        return json.dumps(seen)
