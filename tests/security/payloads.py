"""Hostile "images" for the evidence upload paths (R85), built in memory, deterministically.

Each payload is (label, filename, bytes, valid): `valid` says whether the bytes are really a
JPEG, PNG or WebP that decodes whole (R85 accepts those, whatever their name says).
"""

import io
import random
import struct
import zlib

from PIL import Image

SEED = 85  # R85


def _image(fmt: str, size=(32, 24), color=(30, 120, 200), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width=20_000, height=20_000) -> bytes:
    """A real, complete 1-bit PNG of width x height: 400 M pixels in about 50 KB."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def png_header_only(width=60_000, height=60_000) -> bytes:
    """A PNG that announces 3.6 G pixels and stops after its header."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)


def png_bad_crc() -> bytes:
    data = bytearray(_image("PNG"))
    data[29] ^= 0xFF  # inside IHDR's CRC
    return bytes(data)


def payloads() -> list[tuple[str, str, bytes, bool]]:
    rng = random.Random(SEED)
    png, jpeg, webp = _image("PNG"), _image("JPEG", quality=80), _image("WEBP")
    html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    text_chunk = _chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>")
    return [
        ("a real PNG", "photo.png", png, True),
        ("a real JPEG", "photo.jpg", jpeg, True),
        ("a real WebP", "photo.webp", webp, True),
        ("a PNG named .jpg", "photo.jpg", png, True),  # the bytes decide, not the name
        ("empty", "empty.jpg", b"", False),
        ("one byte", "x.png", b"\x89", False),
        *[
            (f"random bytes {n}", f"random{n}.jpg", rng.randbytes(size), False)
            for n, size in enumerate([16, 1_000, 70_000])
        ],
        ("random bytes after a PNG signature", "sig.png", png[:8] + rng.randbytes(500), False),
        ("a PNG header then garbage", "garbage.png", png[:33] + rng.randbytes(300), False),
        ("a PNG cut in half", "half.png", png[: len(png) // 2], False),
        ("a PNG without its last byte", "cut.png", png[:-1], True),  # IEND's CRC only: decodes
        ("a PNG with a broken CRC", "crc.png", png_bad_crc(), False),
        ("a JPEG cut in half", "half.jpg", jpeg[: len(jpeg) // 2], False),
        ("a JPEG without its end marker", "noeoi.jpg", jpeg[:-2], False),
        ("a WebP cut in half", "half.webp", webp[: len(webp) // 2], False),
        ("a 20000x20000 PNG bomb", "bomb.png", png_bomb(), False),
        ("a 7000x6000 PNG: over R85's 40 M pixels", "big.png", png_bomb(7_000, 6_000), False),
        ("a PNG announcing 3.6 G pixels", "huge.png", png_header_only(), False),
        ("a GIF named .jpg", "anim.jpg", _image("GIF"), False),
        ("a BMP named .png", "bitmap.png", _image("BMP"), False),
        ("a TIFF named .jpg", "scan.jpg", _image("TIFF"), False),
        ("a PDF named .jpg", "doc.jpg", pdf, False),
        ("HTML named .jpg", "page.jpg", html, False),
        ("SVG named .png", "vector.png", svg, False),
        ("HTML then a JPEG", "poly1.jpg", html + jpeg, False),
        # Polyglots that ARE valid images: accepted, stored and served as images only
        # (image/* type, nosniff, a CSP of default-src 'none').
        ("a JPEG with HTML after its end", "poly2.jpg", jpeg + html, True),
        (
            "a PNG with a script in a text chunk",
            "poly3.png",
            png[:33] + text_chunk + png[33:],
            True,
        ),
        ("over 5 MB", "big.jpg", jpeg + rng.randbytes(5 * 1024 * 1024), False),
    ]


PAYLOADS = payloads()
VALID = [p for p in PAYLOADS if p[3]]
INVALID = [p for p in PAYLOADS if not p[3]]
