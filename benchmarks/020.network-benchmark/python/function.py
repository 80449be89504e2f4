"""020.network-benchmark: UDP round trips to the endpoint named in `server`.

Packet i starts with its sequence number (8 ASCII digits) and is padded to
`packet_size` bytes; the endpoint echoes it. A reply that does not carry the number
of the packet in flight (a late reply of a lost one) is skipped. RTTs are measured
with the monotonic clock, in µs. The exchange is the `compute` phase of the
measurement; the bytes sent and received count as upload and download.
"""

import socket
import time

import faaslab_storage

MAX_REPETITIONS = 100_000
MAX_PACKET = 1472


def parse_server(text):
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"server: expected \"ip:port\", got {text!r}")
    return host.strip("[]"), int(port)


def handler(event):
    if "server" not in event:
        raise ValueError("payload has no `server` (\"ip:port\" of a UDP echo endpoint)")
    server = parse_server(event["server"])
    repetitions = int(event.get("repetitions", 10))
    size = int(event.get("packet_size", 64))
    timeout_s = float(event.get("timeout_ms", 1000)) / 1000.0
    if not 0 < repetitions <= MAX_REPETITIONS:
        raise ValueError(f"repetitions must be 1..{MAX_REPETITIONS}")
    if not 8 <= size <= MAX_PACKET:
        raise ValueError(f"packet_size must be 8..{MAX_PACKET}")
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    rtts, lost = [], 0
    m = faaslab_storage.Measurement()
    with m.phase("compute"), socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        for i in range(repetitions):
            message = f"{i:08d}".encode().ljust(size, b"x")
            t0 = time.perf_counter_ns()
            sock.sendto(m.count("upload", message), server)
            deadline = t0 + int(timeout_s * 1e9)
            while True:
                left = (deadline - time.perf_counter_ns()) / 1e9
                if left <= 0:
                    lost += 1
                    break
                sock.settimeout(left)
                try:
                    data, _ = sock.recvfrom(65535)
                except socket.timeout:
                    lost += 1
                    break
                m.count("download", data)
                if data[:8] == message[:8]:
                    rtts.append((time.perf_counter_ns() - t0) // 1000)
                    break
    return {
        "rtts_us": rtts,
        "lost": lost,
        "packet_size": size,
        "repetitions": repetitions,
        "measurement": m.as_dict(),
    }
