"""Every answer of the simulator is valid against the official ONVIF schemas."""

from __future__ import annotations

import asyncio
import time

import pytest
from lxml import etree

from simulator.device import SimDevice, StreamProfile
from simulator.ptz import Preset, PtzHead
from simulator.services import NS, OPERATIONS, SERVICE_PATHS, SUBSCRIPTION_PATH, dispatch
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


# Device, Media and Media2; the Profile G services have tests of their own (test_recordings),
# and so has PTZ (below: only a PTZ camera answers it).
OWN_TESTS = ("/onvif/search_service", "/onvif/recording_service", "/onvif/ptz_service")
PLAIN = sorted((k for k in OPERATIONS if k[0] not in OWN_TESTS), key=str)


@pytest.mark.parametrize("device", DEVICES, ids=[d.device_id for d in DEVICES])
@pytest.mark.parametrize(("path", "operation"), PLAIN, ids=str)
async def test_every_operation_answers_valid_xml(
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
    resp = await dispatch(device, path, operation, req)
    assert etree.QName(resp).localname == operation.localname + "Response"
    assert_valid(schema, resp)


async def test_the_validator_catches_a_broken_answer(schema: etree.XMLSchema) -> None:
    resp = await dispatch(
        DEVICES[0],
        SERVICE_PATHS[NS["tds"]],
        etree.QName(NS["tds"], "GetDeviceInformation"),
        etree.Element("x"),
    )
    resp.remove(resp.find("tds:SerialNumber", NS))
    with pytest.raises(AssertionError, match=r"SerialNumber|HardwareId"):
        assert_valid(schema, resp)
    resp = await dispatch(
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


async def test_unknown_profile_is_a_sender_fault() -> None:
    req = _request(NS["tr2"], "GetStreamUri")
    req.find("tr2:ProfileToken", NS).text = "nope"
    with pytest.raises(SoapFault) as info:
        await dispatch(DEVICES[0], SERVICE_PATHS[NS["tr2"]], etree.QName(NS["tr2"], "GetStreamUri"), req)
    assert info.value.code == "Sender" and info.value.subcode == "ter:InvalidArgVal"


def _event_request(name: str, **children: str) -> etree._Element:
    ns = NS["wsnt"] if name in ("Renew", "Unsubscribe") else NS["tev"]
    req = etree.Element(f"{{{ns}}}{name}")
    for child, text in children.items():
        etree.SubElement(req, f"{{{ns}}}{child}").text = text
    return req


async def test_pull_point_answers_are_valid_and_carry_the_alarms(schema: etree.XMLSchema) -> None:
    dev = SimDevice("events", port=10556)
    create = _event_request("CreatePullPointSubscription", InitialTerminationTime="PT120S")
    assert_valid(schema, create)
    resp = await dispatch(dev, SERVICE_PATHS[NS["tev"]], etree.QName(create), create)
    assert_valid(schema, resp)
    address = resp.findtext("tev:SubscriptionReference/wsa:Address", namespaces=NS)
    assert address == f"{dev.base_url}{SUBSCRIPTION_PATH}?Idx=0"
    assert dev.raise_alarm("tamper", True) == 1
    query = {"Idx": "0"}
    pull = _event_request("PullMessages", Timeout="PT1S", MessageLimit="100")
    assert_valid(schema, pull)
    resp = await dispatch(dev, SUBSCRIPTION_PATH, etree.QName(pull), pull, query)
    assert_valid(schema, resp)
    messages = resp.findall("wsnt:NotificationMessage", NS)
    # The initial state of each property (motion, tamper, scene change, video loss, storage),
    # then the change.
    assert [m.find("wsnt:Message/tt:Message", NS).get("PropertyOperation") for m in messages] == [
        "Initialized"
    ] * 5 + ["Changed"]
    last = messages[-1]
    assert last.findtext("wsnt:Topic", namespaces=NS) == "tns1:RuleEngine/TamperDetector/Tamper"
    assert last.find(".//tt:Data/tt:SimpleItem", NS).attrib == {"Name": "IsTamper", "Value": "true"}
    for name, children in (
        ("SetSynchronizationPoint", {}),
        ("Renew", {"TerminationTime": "PT60S"}),
        ("Unsubscribe", {}),
    ):
        req = _event_request(name, **children)
        assert_valid(schema, req)
        resp = await dispatch(dev, SUBSCRIPTION_PATH, etree.QName(req), req, query)
        assert etree.QName(resp).localname == name + "Response"
        assert_valid(schema, resp)
    with pytest.raises(SoapFault) as info:
        await dispatch(dev, SUBSCRIPTION_PATH, etree.QName(pull), pull, query)
    assert info.value.subcode == "wsrf-rw:ResourceUnknownFault"
    assert_valid(schema, etree.fromstring(fault_envelope(info.value)))


async def test_a_pull_point_expires_unless_pulled_or_renewed() -> None:
    dev = SimDevice("expiry", port=10557)
    create = _event_request("CreatePullPointSubscription", InitialTerminationTime="PT1S")
    await dispatch(dev, SERVICE_PATHS[NS["tev"]], etree.QName(create), create)
    create.find("tev:InitialTerminationTime", NS).text = "PT60S"
    await dispatch(dev, SERVICE_PATHS[NS["tev"]], etree.QName(create), create)
    dev.behaviour.clock_skew_s = 2.0  # two seconds later on the device's clock
    pull = _event_request("PullMessages", Timeout="PT0S", MessageLimit="10")
    with pytest.raises(SoapFault):
        await dispatch(dev, SUBSCRIPTION_PATH, etree.QName(pull), pull, {"Idx": "0"})
    resp = await dispatch(dev, SUBSCRIPTION_PATH, etree.QName(pull), pull, {"Idx": "1"})
    assert len(resp.findall("wsnt:NotificationMessage", NS)) == 5
    assert list(dev.event_source.pull_points) == [1]


async def test_a_long_poll_returns_as_soon_as_an_alarm_is_raised() -> None:
    dev = SimDevice("longpoll", port=10558)
    create = _event_request("CreatePullPointSubscription")
    await dispatch(dev, SERVICE_PATHS[NS["tev"]], etree.QName(create), create)
    pull = _event_request("PullMessages", Timeout="PT30S", MessageLimit="10")
    await dispatch(dev, SUBSCRIPTION_PATH, etree.QName(pull), pull, {"Idx": "0"})  # the initial state
    started = time.monotonic()
    waiting = asyncio.create_task(dispatch(dev, SUBSCRIPTION_PATH, etree.QName(pull), pull, {"Idx": "0"}))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    dev.raise_alarm("video_loss", True)
    resp = await waiting
    assert time.monotonic() - started < 2
    assert (
        resp.findtext("wsnt:NotificationMessage/wsnt:Topic", namespaces=NS) == "tns1:VideoSource/SignalLoss"
    )


async def test_pull_points_are_limited_per_device() -> None:
    dev = SimDevice("limited", port=10559)
    create = _event_request("CreatePullPointSubscription")
    for _ in range(dev.event_source.max_pull_points):
        await dispatch(dev, SERVICE_PATHS[NS["tev"]], etree.QName(create), create)
    with pytest.raises(SoapFault) as info:
        await dispatch(dev, SERVICE_PATHS[NS["tev"]], etree.QName(create), create)
    assert (info.value.code, info.value.subcode) == ("Receiver", "ter:MaxPullPoints")


def _ptz_request(name: str, profile: str = "Profile_1") -> etree._Element:
    req = etree.Element(f"{{{NS['tptz']}}}{name}")
    etree.SubElement(req, f"{{{NS['tptz']}}}ProfileToken").text = profile
    return req


async def test_a_ptz_camera_answers_valid_xml_and_a_fixed_one_has_no_ptz(schema: etree.XMLSchema) -> None:
    """A PTZ camera lists the service (GetServices, GetCapabilities), puts a PTZ configuration
    in its profiles (Media and Media2), and answers GetPresets and GetStatus with positions in
    the generic spaces; a fixed camera answers PTZ calls with ActionNotSupported."""
    head = PtzHead(pan=0.5, tilt=-0.25, zoom=0.1, presets=[Preset("1", "大门", 0.0, 0.0, 0.0)])
    dev = SimDevice("dome", port=10560, ptz=head)
    ptz_path = SERVICE_PATHS[NS["tptz"]]
    services = _request(NS["tds"], "GetServices")
    for ns, name, req in (
        (NS["tds"], "GetServices", services),
        (NS["tds"], "GetCapabilities", _request(NS["tds"], "GetCapabilities")),
        (NS["trt"], "GetProfiles", _request(NS["trt"], "GetProfiles")),
        (NS["tr2"], "GetProfiles", _request(NS["tr2"], "GetProfiles")),
        (NS["tptz"], "GetPresets", _ptz_request("GetPresets")),
        (NS["tptz"], "GetStatus", _ptz_request("GetStatus")),
    ):
        path = ptz_path if ns == NS["tptz"] else SERVICE_PATHS[ns]
        resp = await dispatch(dev, path, etree.QName(ns, name), req)
        assert_valid(schema, resp)
        if name == "GetServices":
            assert f"{dev.base_url}{ptz_path}" in resp.xpath("//tds:XAddr/text()", namespaces=NS)
        elif name == "GetCapabilities":
            assert resp.findtext("tds:Capabilities/tt:PTZ/tt:XAddr", namespaces=NS) == dev.base_url + ptz_path
        elif name == "GetProfiles":
            assert len(resp.xpath("//tt:NodeToken", namespaces=NS)) == 2  # each profile carries PTZ
        elif name == "GetPresets":
            preset = resp.find("tptz:Preset", NS)
            assert preset.get("token") == "1" and preset.findtext("tt:Name", namespaces=NS) == "大门"
            assert preset.find("tt:PTZPosition/tt:PanTilt", NS).get("x") == "0"
        else:
            position = resp.find("tptz:PTZStatus/tt:Position", NS)
            assert (position.find("tt:PanTilt", NS).get("x"), position.find("tt:Zoom", NS).get("x")) == (
                "0.5",
                "0.1",
            )
    head.dialect = "status_fault"  # a firmware that lists PTZ but cannot say where it points
    with pytest.raises(SoapFault) as info:
        await dispatch(dev, ptz_path, etree.QName(NS["tptz"], "GetStatus"), _ptz_request("GetStatus"))
    assert info.value.subcode == "ter:ActionNotSupported"
    with pytest.raises(SoapFault) as info:
        await dispatch(
            DEVICES[0], ptz_path, etree.QName(NS["tptz"], "GetPresets"), _ptz_request("GetPresets")
        )
    assert info.value.subcode == "ter:ActionNotSupported"
    with pytest.raises(SoapFault) as info:  # a profile the camera does not have
        await dispatch(
            dev, ptz_path, etree.QName(NS["tptz"], "GetPresets"), _ptz_request("GetPresets", "nope")
        )
    assert info.value.subcode == "ter:InvalidArgVal"
