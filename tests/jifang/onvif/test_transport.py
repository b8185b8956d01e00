"""The minimal HTTP/1.1 transport: keep-alive, stale connections, chunked and
close-delimited answers, refusals; and an offline device drops kept-alive connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from jifang.onvif import OnvifClient, OnvifUnreachable
from jifang.onvif.transport import DeviceConnection, HttpError
from simulator.device import SimDevice
from simulator.server import Fleet

Responder = Callable[[int], bytes]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Responder, bool], asyncio.Future[int]]]:
    """A server that answers the n-th request with responder(n), closing after each if asked."""
    servers: list[asyncio.Server] = []
    connections: list[int] = []

    async def start(responder: Responder, close_after_each: bool) -> int:
        count = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal count
            connections.append(1)
            while True:
                head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
                if not head:
                    break
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                await reader.readexactly(length)
                count += 1
                writer.write(responder(count))
                await writer.drain()
                if close_after_each:
                    break
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    start.connections = connections  # type: ignore[attr-defined]
    yield start  # type: ignore[misc]
    for s in servers:
        s.close()


def ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


async def test_keep_alive_reuses_one_connection(raw_server) -> None:  # type: ignore[no-untyped-def]
    port = await raw_server(lambda n: ok(b"answer %d" % n), False)
    conn = DeviceConnection(f"http://127.0.0.1:{port}")
    answers = [await conn.post("/x", b"q", "text/plain") for _ in range(3)]
    assert answers == [(200, b"answer 1"), (200, b"answer 2"), (200, b"answer 3")]
    assert len(raw_server.connections) == 1
    conn.close()


async def test_a_connection_the_device_closed_is_retried_once(raw_server) -> None:  # type: ignore[no-untyped-def]
    port = await raw_server(lambda n: ok(b"answer %d" % n), True)  # closes without saying so
    conn = DeviceConnection(f"http://127.0.0.1:{port}")
    assert await conn.post("/x", b"q", "text/plain") == (200, b"answer 1")
    assert await conn.post("/x", b"q", "text/plain") == (200, b"answer 2")
    assert len(raw_server.connections) == 2
    conn.close()


async def test_chunked_and_close_delimited_answers(raw_server) -> None:  # type: ignore[no-untyped-def]
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    port = await raw_server(lambda n: chunked, False)
    conn = DeviceConnection(f"http://127.0.0.1:{port}")
    assert await conn.post("/x", b"q", "text/plain") == (200, b"hello world")
    assert await conn.post("/x", b"q", "text/plain") == (200, b"hello world")
    conn.close()
    port = await raw_server(lambda n: b"HTTP/1.0 500 Oops\r\n\r\nplain body", True)
    conn = DeviceConnection(f"http://127.0.0.1:{port}")
    assert await conn.post("/x", b"q", "text/plain") == (500, b"plain body")
    conn.close()


async def test_garbage_is_an_http_error(raw_server) -> None:  # type: ignore[no-untyped-def]
    port = await raw_server(lambda n: b"SSH-2.0-OpenSSH_9.2\r\n", True)
    with pytest.raises(HttpError):
        await DeviceConnection(f"http://127.0.0.1:{port}").post("/x", b"q", "text/plain")


async def test_an_offline_device_drops_kept_alive_connections() -> None:
    fleet = Fleet()
    await fleet.start([SimDevice("d", password="pw")])
    dev = fleet.devices["d"]
    c = OnvifClient(f"{dev.base_url}/onvif/device_service", "admin", "pw", timeout_s=2)
    try:
        assert (await c.get_device_information()).serial_number == dev.serial_number
        await fleet.update("d", {"offline": True})
        with pytest.raises(OnvifUnreachable):
            await c.get_device_information()
        await fleet.update("d", {"offline": False})
        assert (await c.get_device_information()).serial_number == dev.serial_number
    finally:
        c.close()
        await fleet.stop()
