"""A minimal HTTP/1.1 client for SOAP posts: one kept-alive connection per device.

Polling sends a handful of small POSTs to the same device every interval; a general HTTP
client spends most of its CPU on machinery this path does not need. This one writes the
request in one buffer and reads Content-Length, chunked or close-delimited bodies. A kept-
alive connection the device closed meanwhile is retried once on a fresh connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

MAX_BODY = 8 * 1024 * 1024
MAX_HEADERS = 64 * 1024


class HttpError(Exception):
    """The device answered something that is not HTTP/1.x."""


class ConnectionLost(ConnectionError):
    """The connection ended before an answer began (stale keep-alive, or refused)."""


class DeviceConnection:
    """Posts to one device (scheme, host and port), reusing one connection."""

    def __init__(self, base_url: str, ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(base_url)
        self.scheme = parts.scheme
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.host_header = parts.netloc.rsplit("@", 1)[-1]
        self.ssl_context = ssl_context if self.scheme == "https" else None
        if self.scheme == "https" and self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def post(self, path: str, body: bytes, content_type: str, headers: str = "") -> tuple[int, bytes]:
        """``headers``: further header lines, each ending in CRLF (e.g. an Authorization)."""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host_header}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{headers}Connection: keep-alive\r\n\r\n"
        ).encode("latin-1")
        async with self._lock:  # one request at a time on the device's connection
            reused = self._writer is not None
            try:
                return await self._exchange(head + body)
            except ConnectionLost:
                self.close()
                if not reused:
                    raise
                return await self._exchange(head + body)  # the kept-alive connection had gone
            except BaseException:
                self.close()  # a half-read answer leaves the connection unusable
                raise

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            try:
                self._reader, self._writer = await asyncio.open_connection(
                    self.host, self.port, ssl=self.ssl_context, limit=MAX_HEADERS
                )
            except OSError as exc:
                raise ConnectionLost(str(exc)) from exc
        assert self._reader is not None and self._writer is not None
        try:
            self._writer.write(request)
            await self._writer.drain()
            status_line = await self._reader.readline()
        except OSError as exc:
            raise ConnectionLost(str(exc)) from exc
        if not status_line:
            raise ConnectionLost("connection closed before an answer")
        return await self._read_response(status_line)

    async def _read_response(self, status_line: bytes) -> tuple[int, bytes]:
        assert self._reader is not None
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise HttpError(f"not an HTTP status line: {status_line[:80]!r}")
        status = int(parts[1])
        headers = await self._read_headers()
        keep_alive = headers.get(b"connection", b"").lower() != b"close" and parts[0] != b"HTTP/1.0"
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = await self._read_chunked()
        elif b"content-length" in headers:
            length = int(headers[b"content-length"])
            if length > MAX_BODY:
                raise HttpError("answer too large")
            body = await self._reader.readexactly(length)
        else:
            body = await self._reader.read(MAX_BODY)
            keep_alive = False
        if not keep_alive:
            self.close()
        return status, body

    async def _read_headers(self) -> dict[bytes, bytes]:
        """The header lines up to the blank line, names lower-cased (at most MAX_HEADERS bytes)."""
        assert self._reader is not None
        headers: dict[bytes, bytes] = {}
        size = 0
        while True:
            line = await self._reader.readline()
            size += len(line)
            if not line:
                raise HttpError("connection closed within the headers")
            if size > MAX_HEADERS:
                raise HttpError("headers too large")
            if line in (b"\r\n", b"\n"):
                return headers
            name, sep, value = line.partition(b":")
            if sep:
                headers[name.strip().lower()] = value.strip()

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = await self._reader.readline()
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # end of the (empty) trailer
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise HttpError("answer too large")
            chunks.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._reader = self._writer = None
