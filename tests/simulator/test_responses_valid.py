"""Every answer of the simulator is valid against the official ONVIF schemas."""

from __future__ import annotations

import pytest
from lxml import etree

from simulator.device import SimDevice, StreamProfile
from simulator.services import NS, OPERATIONS, SERVICE_PATHS, dispatch
from simulator.soap import SoapFault, fault_envelope, not_authorized
from tests.conftest import assert_valid

REQUESTS = {
    "GetStreamUri": '<trt:GetStreamUri xmlns:trt="{trt}" xmlns:tt="{tt}">'
    "<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>"
    "<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
    "<trt:ProfileToken>Profile_1</trt:ProfileToken></trt:GetStreamUri>",
}


def _request(ns: str, name: str) -> etree._Element:
    if ns == NS["trt"] and name == "GetStreamUri":
        return etree.fromstring(REQUESTS[name].format(trt=NS["trt"], tt=NS["tt"]))
    if ns == NS["tr2"] and name == "GetStreamUri":
        return etree.fromstring(
            f'<tr2:GetStreamUri xmlns:tr2="{ns}"><tr2:Protocol>RTSP</tr2:Protocol>'
            "<tr2:ProfileToken>Profile_2</tr2:ProfileToken></tr2:GetStreamUri>"
        )
    req = etree.Element(f"{{{ns}}}{name}")
    if name == "GetServices":
        etree.SubElement(req, f"{{{ns}}}IncludeCapability").text = "false"
    return req


DEVICES = [
    SimDevice("cam", port=10554),
    SimDevice(
        "h265",
        port=10555,
        profiles=[StreamProfile("P1", "main", encoding="H265", width=3840, height=2160, fps=20, gop=40)],
    ),
]


@pytest.mark.parametrize("device", DEVICES, ids=[d.device_id for d in DEVICES])
@pytest.mark.parametrize(("path", "operation"), sorted(OPERATIONS, key=str), ids=str)
def test_every_operation_answers_valid_xml(
    schema: etree.XMLSchema, device: SimDevice, path: str, operation: etree.QName
) -> None:
    if device.device_id == "h265" and operation.localname == "GetStreamUri":
        req = _request(operation.namespace, "GetStreamUri")
        for el in req.iter():
            if el.text in {"Profile_1", "Profile_2"}:
                el.text = "P1"
    else:
        req = _request(operation.namespace, operation.localname)
    assert_valid(schema, req)  # the requests used here are valid too
    resp = dispatch(device, path, operation, req)
    assert etree.QName(resp).localname == operation.localname + "Response"
    assert_valid(schema, resp)


def test_the_validator_catches_a_broken_answer(schema: etree.XMLSchema) -> None:
    resp = dispatch(
        DEVICES[0],
        SERVICE_PATHS[NS["tds"]],
        etree.QName(NS["tds"], "GetDeviceInformation"),
        etree.Element("x"),
    )
    resp.remove(resp.find("tds:SerialNumber", NS))
    with pytest.raises(AssertionError, match=r"SerialNumber|HardwareId"):
        assert_valid(schema, resp)
    resp = dispatch(
        DEVICES[0], SERVICE_PATHS[NS["trt"]], etree.QName(NS["trt"], "GetProfiles"), etree.Element("x")
    )
    vec = resp.find(".//tt:VideoEncoderConfiguration", NS)
    vec.find("tt:Resolution", NS).addprevious(etree.Element(f"{{{NS['tt']}}}Quality"))  # out of order
    with pytest.raises(AssertionError):
        assert_valid(schema, resp)


def test_faults_are_valid_soap_12(schema: etree.XMLSchema) -> None:
    env = etree.fromstring(fault_envelope(not_authorized()))
    assert_valid(schema, env)
    value = env.find(".//env:Subcode/env:Value", {"env": "http://www.w3.org/2003/05/soap-envelope"})
    assert value is not None and value.text == "ter:NotAuthorized"


def test_unknown_profile_is_a_sender_fault() -> None:
    req = _request(NS["tr2"], "GetStreamUri")
    req.find("tr2:ProfileToken", NS).text = "nope"
    with pytest.raises(SoapFault) as info:
        dispatch(DEVICES[0], SERVICE_PATHS[NS["tr2"]], etree.QName(NS["tr2"], "GetStreamUri"), req)
    assert info.value.code == "Sender" and info.value.subcode == "ter:InvalidArgVal"
