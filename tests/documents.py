"""Documents the registry takes (a PDF that opens, images that decode), made in the test."""

from __future__ import annotations

import io
import os

from PIL import Image

_OBJECTS = (
    b"<</Type/Catalog/Pages 2 0 R>>",
    b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
)


def pdf(marker: str | None = None) -> bytes:
    """A one-page PDF with its cross-reference table; ``marker`` (random by default) in a
    comment, so that two documents differ."""
    mark = os.urandom(8).hex() if marker is None else marker
    out = bytearray(b"%PDF-1.4\n%" + mark.encode() + b"\n")
    offsets = []
    for number, body in enumerate(_OBJECTS, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(_OBJECTS) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(_OBJECTS) + 1, xref)
    return bytes(out)


def image(kind: str = "PNG", size: tuple[int, int] = (8, 6)) -> bytes:
    """A small image, PNG or JPEG."""
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=kind)
    return buf.getvalue()
