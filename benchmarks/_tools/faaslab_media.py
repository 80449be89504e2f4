"""Seeded images for the image benchmarks, written as PNG with the standard library."""

import random
import struct
import zlib


def png(width, height, rgb_rows):
    """A truecolour PNG from `height` rows of `3 * width` bytes."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(row) for row in rgb_rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def pixels(width, height, seed):
    """Rows of RGB bytes: a seeded colour gradient with a few rectangles on it."""
    rng = random.Random(seed)
    r0, g0, b0 = rng.randrange(256), rng.randrange(256), rng.randrange(256)
    rows = []
    for y in range(height):
        g = (g0 + 255 * y // max(height - 1, 1)) % 256
        row = bytearray(3 * width)
        row[0::3] = bytes((r0 + 255 * x // max(width - 1, 1)) % 256 for x in range(width))
        row[1::3] = bytes([g]) * width
        row[2::3] = bytes([b0]) * width
        rows.append(row)
    for _ in range(8):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = min(width, x0 + rng.randrange(1, width // 2 + 2)), min(height, y0 + rng.randrange(1, height // 2 + 2))
        colour = bytes([rng.randrange(256), rng.randrange(256), rng.randrange(256)])
        for y in range(y0, y1):
            rows[y][3 * x0 : 3 * x1] = colour * (x1 - x0)
    return rows


def image(width, height, seed):
    return png(width, height, pixels(width, height, seed))
