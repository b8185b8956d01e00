"""Issue 14 item 9: documents (filing materials, management rules) are opened before they are
stored, stored under a safe name, and handed out so that a browser only saves them.

Replayed as the review did: files that only begin like a PDF or an image, files made to exhaust
a parser, names that climb directories, inject headers or hide their extension; and the
download's headers."""

from __future__ import annotations

import asyncio
import io
import os
import struct
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from jifang.auth import Role
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.conftest import TokenFactory, auth
from tests.documents import image, pdf
from tests.services.registry.factories import create_unit

PDF_MEDIA = {"Content-Type": "application/pdf"}


def _png(width: int, height: int, rows: int | None = None) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` black RGB pixels, holding ``rows`` rows
    of them (all by default: zeros compress 1000:1)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    deflate = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * width)  # a filter byte, then the row's pixels
    pixels = b"".join(deflate.compress(row) for _ in range(height if rows is None else rows))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels + deflate.flush())
        + chunk(b"IEND", b"")
    )


def _pdf_with_pages(pages: int) -> bytes:
    """A PDF whose page tree lists ``pages`` pages (one page object, listed again and again)."""
    kids = b" ".join(b"3 0 R" for _ in range(pages))
    objects = (
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[" + kids + b"]/Count %d>>" % pages,
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


async def _draft_filing(client: httpx.AsyncClient, tech: dict[str, str]) -> dict[str, Any]:
    unit = await create_unit(client, tech)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems", json={"name": "视频", "system_type": "video"}, headers=tech
    )
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [r.json()["id"]]}, headers=tech
    )
    filing: dict[str, Any] = r.json()
    return filing


async def _put(
    client: httpx.AsyncClient,
    tech: dict[str, str],
    filing: dict[str, Any],
    data: bytes,
    media: str = "application/pdf",
    **params: str,
) -> httpx.Response:
    return await client.put(
        f"/api/v1/filings/{filing['id']}/materials/layout_plan",
        content=data,
        params=params,
        headers={**tech, "Content-Type": media},
    )


@asynccontextmanager
async def _registry_with(settings: RegistrySettings, **limits: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Another replica on the same database, with other document limits."""
    app = create_app(settings.model_copy(update=limits), run_loops=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry-2") as c,
    ):
        yield c


def _parsers_running() -> list[int]:
    """Document parsers this test process started that are still alive."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"document_parser" in cmdline:
            found.append(int(stat.parent.name))
    return found


async def test_a_file_that_only_begins_like_its_type_is_refused(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    filing = await _draft_filing(client, tech)
    polyglot = b"%PDF-1.4\n<html><body><script>fetch('/api/v1/units')</script></body></html>\n"
    for data, media in (
        (polyglot, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>", "image/png"),
        (b"\xff\xd8\xff\xe0<script>alert(1)</script>", "image/jpeg"),
        (image("PNG", (64, 64))[:-30], "image/png"),  # cut off in its pixels
        (image("JPEG", (64, 64))[:-100], "image/jpeg"),
        (pdf()[:-60], "application/pdf"),  # the cross-reference table cut off
    ):
        r = await _put(client, tech, filing, data, media)
        assert r.status_code == 415, (media, r.text)
        assert r.json()["type"] == "/problems/unsupported-media-type"
    r = await client.get(f"/api/v1/filings/{filing['id']}", headers=tech)
    assert r.json()["materials"] == []  # nothing refused was kept


async def test_files_made_to_exhaust_the_parser_are_refused(
    client: httpx.AsyncClient, token: TokenFactory, registry_settings: RegistrySettings
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    filing = await _draft_filing(client, tech)
    # A header claiming 100 000 x 100 000 pixels: refused before a pixel is decoded.
    r = await _put(client, tech, filing, _png(100_000, 100_000, rows=1), "image/png")
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "body",
        "rule": "document-within-parse-limits",
        "message": f"the image has more than {registry_settings.document_max_image_pixels} pixels",
    }
    # 8000 x 8000 pixels in 190 KB (zeros compress 1000:1): within the pixel limit, not within
    # the parse's memory: the parser is stopped by its limit, the request answered.
    bomb = _png(8000, 8000)
    async with _registry_with(registry_settings, document_parse_memory_bytes=160 * 1024 * 1024) as tight:
        r = await _put(tight, tech, filing, bomb, "image/png")
        assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "document-within-parse-limits"
    # A page tree longer than the limit.
    async with _registry_with(registry_settings, document_max_pdf_pages=50) as tight:
        r = await _put(tight, tech, filing, _pdf_with_pages(51))
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["message"] == "the PDF has more than 50 pages"
        assert (await _put(tight, tech, filing, _pdf_with_pages(50))).status_code == 200


async def test_a_parse_past_its_time_is_stopped(
    client: httpx.AsyncClient, token: TokenFactory, registry_settings: RegistrySettings
) -> None:
    """Whatever makes a parser run on (no file of ours does it on demand), the request is
    answered when the parse's time is up, and the parser is gone."""
    tech = auth(token(Role.TECH_OFFICE))
    filing = await _draft_filing(client, tech)
    async with _registry_with(registry_settings, document_parse_timeout_s=0.05) as hurried:
        started = time.monotonic()
        r = await _put(hurried, tech, filing, pdf())
        assert time.monotonic() - started < 5
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "body",
        "rule": "document-within-parse-limits",
        "message": "the document did not open within 0.05 s",
    }
    await asyncio.sleep(0.1)
    assert _parsers_running() == []
    assert (await client.get(f"/api/v1/filings/{filing['id']}", headers=tech)).json()["materials"] == []


async def test_a_password_protected_pdf_is_refused(client: httpx.AsyncClient, token: TokenFactory) -> None:
    from pypdf import PdfWriter  # noqa: PLC0415 - only this test writes an encrypted PDF

    tech = auth(token(Role.TECH_OFFICE))
    filing = await _draft_filing(client, tech)
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    locked = io.BytesIO()
    writer.write(locked)
    r = await _put(client, tech, filing, locked.getvalue())
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "not-password-protected"


async def test_names_are_made_safe_and_downloads_only_saved(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    filing = await _draft_filing(client, tech)
    cases = {
        "../../../etc/passwd": "passwd.pdf",  # no directories
        "..\\..\\boot.ini": "boot.ini.pdf",
        "布局\r\nX-Injected: yes.pdf": "布局X-Injected_ yes.pdf",  # no header injection
        "平面图\u202efdp.exe": "平面图fdp.exe.pdf",  # no right-to-left override hiding .exe
        "报告.html": "报告.html.pdf",  # the extension of what it is
        "\u200b\u200b": "layout_plan.pdf",  # nothing left: the material's code
        "安全技术防范系统平面布置图（2026版）.pdf": "安全技术防范系统平面布置图（2026版）.pdf",  # CJK kept
    }
    for given, stored in cases.items():
        r = await _put(client, tech, filing, pdf(), filename=given)
        assert r.status_code == 200, r.text
        material = r.json()["materials"][-1]
        assert material["filename"] == stored, given
        r = await client.get(f"/api/v1/filings/{filing['id']}/materials/{material['id']}", headers=tech)
        assert r.status_code == 200
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.headers["content-disposition"].endswith(f"filename*=UTF-8''{quote(stored, safe='')}")
        assert "\r" not in r.headers["content-disposition"] and "x-injected" not in r.headers
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-security-policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
        assert r.headers["cache-control"] == "no-store"
    # An image keeps its own type's extension.
    r = await _put(client, tech, filing, image("JPEG"), "image/jpeg", filename="扫描件.JPG")
    assert r.json()["materials"][-1]["filename"] == "扫描件.JPG"


async def test_management_rules_are_checked_and_served_alike(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    url = f"/api/v1/units/{unit['id']}/management-rules/training"
    r = await client.put(url, content=b"%PDF-1.7\n<script>alert(1)</script>", headers={**tech, **PDF_MEDIA})
    assert r.status_code == 415
    r = await client.put(
        url, content=pdf(), params={"filename": "../培训制度.pdf"}, headers={**tech, **PDF_MEDIA}
    )
    assert r.status_code == 200, r.text
    r = await client.get(f"{url}/content", headers=tech)
    assert r.headers["content-disposition"].endswith("filename*=UTF-8''" + quote("培训制度.pdf", safe=""))
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("default-src 'none'; sandbox")
