from __future__ import annotations

import pytest
from lxml import etree

from jifang.onvif import OnvifClient
from tests.conftest import assert_valid

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"


class SentEnvelopes(list[bytes]):
    """Every envelope the lean client writes while the fixture is in use."""

    def assert_valid(self, schema: etree.XMLSchema) -> None:
        for data in self:
            root = etree.fromstring(data)
            assert_valid(schema, root)  # the envelope (SOAP 1.2)
            assert_valid(schema, root.find(f"{{{SOAP_ENV}}}Body")[0])  # the ONVIF request, strictly


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> SentEnvelopes:
    envelopes = SentEnvelopes()
    original = OnvifClient.envelope

    def recording(
        self: OnvifClient, body: str, *, authenticated: bool = True, addressing: tuple[str, str] | None = None
    ) -> bytes:
        data = original(self, body, authenticated=authenticated, addressing=addressing)
        envelopes.append(data)
        return data

    monkeypatch.setattr(OnvifClient, "envelope", recording)
    return envelopes
