"""040.server-reply: send `requests` lines to a TCP server and collect its replies."""

import socket

import faaslab_storage


def handler(event):
    host, port = event["server"].rsplit(":", 1)
    m = faaslab_storage.Measurement()
    replies = []
    with m.phase("compute"):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            reader = sock.makefile("rb")
            for i in range(int(event["requests"])):
                line = f"{event['token']}-{i}\n".encode()
                sock.sendall(m.count("upload", line))
                reply = m.count("download", reader.readline())
                replies.append(reply.decode().rstrip("\n"))
    return {"replies": replies, "measurement": m.as_dict()}
