"""030.clock-synchronization: estimate this instance's clock offset to the host.

Each round (NTP's four timestamps, wall clock µs): the function sends its sequence
number at t1; the host endpoint (timestamp mode) stamps receipt t2 and reply t3 on its
own clock and answers with both (big-endian u64 each) before the echoed datagram; the
function reads the reply at t4. Per sample, offset = ((t2 - t1) + (t3 - t4)) / 2 (host
clock minus function clock) and delay = (t4 - t1) - (t3 - t2); the estimate is the
offset of the sample with the smallest delay, whose error is at most delay / 2.

`handler_start_us` is the function's wall clock when the handler began, for one-way
latency measurements (`padding` in the payload just makes it larger). The exchanges
are the `compute` phase of the measurement; bytes sent and received count as upload
and download.
"""

import socket
import struct
import time

import faaslab_storage

MAX_REPETITIONS = 100_000


def now_us():
    return time.time_ns() // 1000


def parse_server(text):
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"server: expected \"ip:port\", got {text!r}")
    return host.strip("[]"), int(port)


def handler(event):
    start = now_us()
    m = faaslab_storage.Measurement()
    out = {"handler_start_us": start, "payload_bytes": len(str(event.get("padding", "")))}
    if "server" not in event:
        out["measurement"] = m.as_dict()
        return out
    server = parse_server(event["server"])
    repetitions = int(event.get("repetitions", 10))
    timeout_s = float(event.get("timeout_ms", 1000)) / 1000.0
    if not 0 < repetitions <= MAX_REPETITIONS:
        raise ValueError(f"repetitions must be 1..{MAX_REPETITIONS}")
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    samples, lost = [], 0
    with m.phase("compute"), socket.socket(family, socket.SOCK_DGRAM) as sock:
        for i in range(repetitions):
            seq = f"{i:08d}".encode()
            t1 = now_us()
            sock.sendto(m.count("upload", seq), server)
            deadline = time.monotonic() + timeout_s
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    lost += 1
                    break
                sock.settimeout(left)
                try:
                    data, _ = sock.recvfrom(2048)
                except socket.timeout:
                    lost += 1
                    break
                t4 = now_us()
                m.count("download", data)
                if len(data) >= 24 and data[16:24] == seq:
                    t2, t3 = struct.unpack(">QQ", data[:16])
                    samples.append([t1, t2, t3, t4])
                    break
    out["samples"] = samples
    out["lost"] = lost
    if samples:
        best = min(samples, key=lambda s: (s[3] - s[0]) - (s[2] - s[1]))
        t1, t2, t3, t4 = best
        out["offset_us"] = ((t2 - t1) + (t3 - t4)) / 2
        out["delay_us"] = (t4 - t1) - (t3 - t2)
    out["measurement"] = m.as_dict()
    return out
