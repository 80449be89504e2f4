"""Key-value tables for benchmark functions (Python 3 standard library only).

Shipped into every code package next to faaslab_storage.py. Items live in tables,
keyed by a partition key and a sort key (DynamoDB's model, which SeBS uses). The host
chooses the store through the environment (host/src/nosql/mod.rs):
  FAASLAB_NOSQL_BACKEND  "local" (default) or "redis"
  FAASLAB_NOSQL_PATH     local: the SQLite file (default: <FAASLAB_STORAGE_ROOT>/.faaslab-nosql/tables.sqlite3)
  FAASLAB_NOSQL_REDIS    redis: "host:port" of a Redis server (RESP over TCP)
Usage: table = faaslab_nosql.get().table("cart"); table.put(pk, sk, item);
table.get(pk, sk) -> item or None; table.query(pk) -> [items sorted by sort key];
table.delete(pk, sk).
"""

import json
import os
import socket
import sqlite3


class LocalTable:
    def __init__(self, db, name):
        self.db = db
        self.name = name

    def put(self, pk, sk, item):
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)",
                (self.name, str(pk), str(sk), json.dumps(item)),
            )

    def get(self, pk, sk):
        row = self.db.execute(
            "SELECT item FROM items WHERE tbl = ? AND pk = ? AND sk = ?",
            (self.name, str(pk), str(sk)),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def query(self, pk):
        rows = self.db.execute(
            "SELECT item FROM items WHERE tbl = ? AND pk = ? ORDER BY sk", (self.name, str(pk))
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def delete(self, pk, sk):
        with self.db:
            self.db.execute(
                "DELETE FROM items WHERE tbl = ? AND pk = ? AND sk = ?",
                (self.name, str(pk), str(sk)),
            )


class LocalStore:
    """A SQLite file shared by every instance of the run (WAL: concurrent readers)."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS items (tbl TEXT, pk TEXT, sk TEXT, item TEXT,"
            " PRIMARY KEY (tbl, pk, sk))"
        )

    def table(self, name):
        return LocalTable(self.db, name)


class RedisTable:
    """One Redis hash per partition key: `<table>:<pk>`, field = sort key."""

    def __init__(self, conn, name):
        self.conn = conn
        self.name = name

    def _key(self, pk):
        return f"{self.name}:{pk}"

    def put(self, pk, sk, item):
        self.conn.call("HSET", self._key(pk), str(sk), json.dumps(item))

    def get(self, pk, sk):
        value = self.conn.call("HGET", self._key(pk), str(sk))
        return json.loads(value) if value is not None else None

    def query(self, pk):
        flat = self.conn.call("HGETALL", self._key(pk)) or []
        pairs = sorted(zip(flat[0::2], flat[1::2]))
        return [json.loads(v) for _, v in pairs]

    def delete(self, pk, sk):
        self.conn.call("HDEL", self._key(pk), str(sk))


class RedisConnection:
    """A minimal RESP2 client: commands as arrays of bulk strings."""

    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.reader = self.sock.makefile("rb")

    def call(self, *args):
        parts = [f"*{len(args)}\r\n".encode()]
        for a in args:
            data = a.encode() if isinstance(a, str) else a
            parts += [f"${len(data)}\r\n".encode(), data, b"\r\n"]
        self.sock.sendall(b"".join(parts))
        return self._reply()

    def _reply(self):
        line = self.reader.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(f"redis: {rest.decode()}")
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.reader.read(n + 2)[:-2]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError(f"redis: unexpected reply {line[:40]!r}")


class RedisStore:
    def __init__(self, address):
        self.conn = RedisConnection(address)

    def table(self, name):
        return RedisTable(self.conn, name)


_store = None


def get():
    """The store this function instance was given (one connection per instance)."""
    global _store
    if _store is None:
        backend = os.environ.get("FAASLAB_NOSQL_BACKEND", "local")
        if backend == "redis":
            address = os.environ.get("FAASLAB_NOSQL_REDIS")
            if not address:
                raise RuntimeError("FAASLAB_NOSQL_BACKEND=redis but FAASLAB_NOSQL_REDIS is not set")
            _store = RedisStore(address)
        elif backend == "local":
            path = os.environ.get("FAASLAB_NOSQL_PATH")
            if not path:
                root = os.environ.get("FAASLAB_STORAGE_ROOT")
                if not root:
                    raise RuntimeError("no local NoSQL store: set FAASLAB_NOSQL_PATH or use local storage")
                path = os.path.join(root, ".faaslab-nosql", "tables.sqlite3")
            _store = LocalStore(path)
        else:
            raise RuntimeError(f"unknown FAASLAB_NOSQL_BACKEND {backend!r}")
    return _store
