"""Files the platform hands out (filing materials, rule documents, receipts, register exports):
a file name that is safe to store and to send, and headers that keep a browser from doing
anything with the file but save it.

A client names an upload; the name is kept for the download. So a name is cut to its last path
component, loses control and invisible format characters (a right-to-left override turns
``报告[RLO]fdp.exe`` into what reads as ``报告exe.pdf``), characters no file system takes, and
leading or trailing dots and spaces, and ends in an extension of the file's real media type:
``x.html`` uploaded as a PDF is served as ``x.html.pdf``. CJK stays as it is, readable.

Sent, the name travels as ``filename*=UTF-8''...`` (RFC 6266, RFC 8187: every byte outside the
attribute characters percent-encoded), with an ASCII ``filename=`` for old clients.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

# Extensions a file of each media type may carry; the first is added when the name has none.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
    "application/json": (".json",),
}
# Within the 255 characters a stored name may have, with room to spare for the extension.
MAX_NAME_CHARS = 200
# Control, format (bidirectional overrides, zero-width), surrogate, private-use, unassigned,
# and line and paragraph separators: none belongs in a file name.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_RESERVED_CHARS = re.compile(r'[<>:"|?*]')
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)
# A download is saved, never rendered: no sniffing, no scripts, no frames, not cached on the way
# (filing materials are confidential, HRB art. 18).
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def _cleaned(name: str) -> str:
    text = unicodedata.normalize("NFC", name)
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    return " ".join(_RESERVED_CHARS.sub("_", text).split()).strip(" .")


def safe_filename(name: str, media_type: str, fallback: str) -> str:
    """``name`` as it may be stored and sent; ``fallback`` (made safe too) when nothing of it
    is left."""
    text = _cleaned(name) or _cleaned(fallback) or "download"
    if text.split(".", 1)[0].lower() in _WINDOWS_DEVICES:
        text = "_" + text
    extensions = EXTENSIONS.get(media_type, ())
    if extensions and not text.lower().endswith(extensions):
        text += extensions[0]
    if len(text) > MAX_NAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        ext = dot + ext if stem and len(ext) < 10 else ""
        text = text[: MAX_NAME_CHARS - len(ext)].rstrip(" .") + ext
    return text


def content_disposition(filename: str) -> str:
    """An attachment named ``filename`` (already safe): UTF-8 for clients that read RFC 8187,
    ASCII with the rest replaced by ``_`` for those that do not."""
    ascii_name = re.sub(r"[^\x20-\x7e]+", "_", filename).replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_headers(filename: str) -> dict[str, str]:
    """The headers of a file handed out under ``filename`` (already safe)."""
    return {"Content-Disposition": content_disposition(filename), **DOWNLOAD_HEADERS}


# The same headers, as an OpenAPI response declares them.
DOWNLOAD_HEADERS_DOC: dict[str, Any] = {
    name: {"schema": {"type": "string"}, "description": description}
    for name, description in (
        ("Content-Disposition", "attachment, with the file's name (filename*=UTF-8''...)"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'"),
        ("Cache-Control", "no-store"),
    )
}
