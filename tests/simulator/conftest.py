from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from simulator.schemas import onvif_schema


@pytest.fixture(scope="session")
def schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    return onvif_schema(str(tmp_path_factory.mktemp("onvif-schema")))


def assert_valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    doc = etree.ElementTree(etree.fromstring(etree.tostring(element)))
    if not schema.validate(doc):
        raise AssertionError(f"{etree.QName(element).localname}: {schema.error_log}")


__all__ = ["Path", "assert_valid"]
