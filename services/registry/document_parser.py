"""Opening an uploaded document as what it claims to be, in a process of its own.

A PDF must open as a PDF (its cross-reference table and page tree read, at most so many pages)
and an image must decode (every pixel, at most so many). A hostile file can make a parser work
for minutes or allocate gigabytes, so the parse runs here, in a child process that
:func:`services.registry.storage.parse_document` starts, under hard limits set before any
byte of the document is read: its address space (``RLIMIT_AS``), its CPU time (``RLIMIT_CPU``),
and no file writes (``RLIMIT_FSIZE``); the parent kills it when its wall-clock time is up.

Run as ``python -m services.registry.document_parser MEDIA_TYPE MAX_PAGES MAX_PIXELS
MEMORY_BYTES CPU_SECONDS`` with the document on standard input; it prints one JSON object:
``{"rule": null}`` when the document opened, else the rule it broke and why. This module
imports only the standard library and the parsers, so that starting it costs little.
"""

from __future__ import annotations

import io
import json
import logging
import resource
import sys
import warnings

# The rules a document can break, as the registry's problems name them.
NOT_THE_TYPE = "content-matches-media-type"
PASSWORD_PROTECTED = "not-password-protected"
TOO_LARGE = "document-within-parse-limits"


class Refused(Exception):
    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule


def confine(memory_bytes: int, cpu_s: int) -> None:
    """Hard limits for this process: a parse that goes past them is killed, not waited for."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def check_pdf(data: bytes, max_pages: int) -> None:
    from pypdf import PdfReader  # noqa: PLC0415 - only the kind being checked is loaded

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Refused(PASSWORD_PROTECTED, "the PDF is password-protected: the office could not read it")
        pages = 0
        # The page tree as it is (its /Count may lie): every page object read, at most max_pages.
        for page in reader.pages:
            pages += 1
            if pages > max_pages:
                raise Refused(TOO_LARGE, f"the PDF has more than {max_pages} pages")
            page.mediabox  # noqa: B018 - reading the page's dictionary is the check
    except (Refused, MemoryError):
        raise
    except Exception as exc:
        raise Refused(NOT_THE_TYPE, "the content does not open as a PDF") from exc
    if pages == 0:
        raise Refused(NOT_THE_TYPE, "the PDF has no pages")


def check_image(data: bytes, image_format: str, max_pixels: int) -> None:
    from PIL import Image  # noqa: PLC0415 - only the kind being checked is loaded

    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            image.verify()  # the chunks' checksums (PNG), the markers (JPEG)
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            image.load()  # every pixel decoded: a truncated or corrupt image fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused(TOO_LARGE, f"the image has more than {max_pixels} pixels") from exc
    except MemoryError as exc:
        raise Refused(TOO_LARGE, "the image needs more memory to decode than a document may") from exc
    except Exception as exc:
        raise Refused(NOT_THE_TYPE, f"the content does not decode as a {image_format} image") from exc


def check(media_type: str, data: bytes, max_pages: int, max_pixels: int) -> None:
    if media_type == "application/pdf":
        check_pdf(data, max_pages)
    elif media_type == "image/png":
        check_image(data, "PNG", max_pixels)
    elif media_type == "image/jpeg":
        check_image(data, "JPEG", max_pixels)
    else:
        raise Refused(NOT_THE_TYPE, f"no parser for {media_type}")


def main(argv: list[str]) -> int:
    media_type, max_pages, max_pixels, memory_bytes, cpu_s = argv
    confine(int(memory_bytes), int(cpu_s))
    logging.disable(logging.CRITICAL)  # the parsers' warnings about a damaged file say nothing new
    data = sys.stdin.buffer.read()
    answer: dict[str, str | None]
    try:
        check(media_type, data, int(max_pages), int(max_pixels))
    except Refused as refused:
        answer = {"rule": refused.rule, "reason": str(refused)}
    except MemoryError:
        answer = {"rule": TOO_LARGE, "reason": "the document needs more memory to open than a document may"}
    else:
        answer = {"rule": None, "reason": ""}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
