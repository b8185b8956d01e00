"""A lean ONVIF client for the hot polling path (ingest, retention).

Requests are written from fixed templates with a WS-Security UsernameToken digest and
answers parsed with lxml; tests validate every request body against the official ONVIF
schemas. onvif-zeep-async remains the reference client it is measured against.
"""

from jifang.onvif.client import (
    DeviceInformation,
    EventMessage,
    OnvifClient,
    OnvifError,
    OnvifFault,
    OnvifMalformed,
    OnvifNotAuthorized,
    OnvifTimeout,
    OnvifUnreachable,
    Profile,
    PtzPreset,
    PtzStatus,
    PtzVector,
    PullPointSubscription,
    PullResult,
    VideoSource,
)

__all__ = [
    "DeviceInformation",
    "EventMessage",
    "OnvifClient",
    "OnvifError",
    "OnvifFault",
    "OnvifMalformed",
    "OnvifNotAuthorized",
    "OnvifTimeout",
    "OnvifUnreachable",
    "Profile",
    "PtzPreset",
    "PtzStatus",
    "PtzVector",
    "PullPointSubscription",
    "PullResult",
    "VideoSource",
]
