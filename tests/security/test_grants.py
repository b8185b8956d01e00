"""Issue 14, items 1 and 13 (grants), and the grant key's rotation: what a holder of a grant
could make the relay serve, replayed as MediaMTX's own requests to the gateway's hook.

Item 1: the hook checked the path and the action only: a grant for one hour two days ago
played `start=2020-01-01…&duration=100000h`. A playback grant now serves the relay's playback
server only inside the range the call-up registered (the register's 用途 and range, HRB art.
20(3), KMG art. 21(2), say what was handed out), a live grant live only.

Item 13: a grant was a bearer token, good from any address for any number of readers. It now
serves the address the call-up came from, or, when the call-up asked for it, a player that
presents the session key handed out with it; and at most `GATEWAY_GRANT_MAX_READERS` readers.

Every refusal is 401 to the relay, as before, and counted by reason."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from jifang.auth import Role
from jifang.db import create_engine, create_sessionmaker, session_scope
from services.gateway.app import create_app
from services.gateway.models import SERVICE_ROLE, GrantReader
from services.gateway.readers import GrantReaders
from services.gateway.relay import ExpiredReaders
from tests.conftest import TokenFactory, auth, metric_value
from tests.services.gateway.conftest import (  # noqa: F401 - fixtures
    CLIENT_ADDRESS,
    GRANT_KEY,
    callup,
    camera,
    gateway,
    gateway_settings,
    hook,
    migrated,
    serve,
)

HOOK = "/internal/relay/auth"
NEW_KEY = "n" * 48


def rfc3339(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def playback(grant: dict[str, Any], ip: str = CLIENT_ADDRESS, **query: str) -> dict[str, Any]:
    """What MediaMTX posts for a request to its playback server (`/get?path=…&start=…&duration=…`):
    action `playback`, the request's query as it came, and no session id."""
    return hook(
        grant["token"],
        grant["path"],
        "playback",
        ip=ip,
        id=None,
        protocol="",
        query=urlencode({"path": grant["path"], **query}),
    )


def refusals(metrics: str, reason: str) -> float | None:
    return metric_value(metrics, "gateway_relay_refusals_total", reason=reason)


async def call_up(gw: httpx.AsyncClient, token: TokenFactory, camera_id: str, **over: Any) -> dict[str, Any]:
    r = await gw.post(
        "/api/v1/callups", json=callup(camera_id, **over), headers=auth(token(Role.POLICE_OPERATOR))
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def statuses(gw: httpx.AsyncClient, *bodies: dict[str, Any]) -> list[int]:
    return [(await gw.post(HOOK, json=body)).status_code for body in bodies]


@pytest.fixture
def hour_two_days_ago() -> tuple[dt.datetime, dt.datetime]:
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(microsecond=0)
    return start, start + dt.timedelta(hours=1)


async def test_a_playback_grant_serves_only_inside_its_range(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
    hour_two_days_ago: tuple[dt.datetime, dt.datetime],
) -> None:
    """The range the call-up registered bounds what the playback server may serve: the start
    and all the duration inside it, to the nanosecond; the reported attack (a start in 2020, a
    duration of 100,000 hours), a start before or after, no start, no duration, and a grant
    used for a live read are refused."""
    first, last = hour_two_days_ago
    grant = await call_up(
        gateway, token, camera["id"], mode="playback", range_from=first.isoformat(), range_to=last.isoformat()
    )
    inside = [
        playback(grant, start=rfc3339(first + dt.timedelta(minutes=10)), duration="600"),
        playback(grant, start=rfc3339(first), duration="3600"),  # the whole range
        playback(grant, start=rfc3339(first), duration="1h"),  # the Go form MediaMTX still reads
        playback(grant, start=rfc3339(first + dt.timedelta(minutes=30)), duration="29m59.999999999s"),
        # The same instant written at +08:00, Beijing time.
        playback(
            grant, start=first.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(), duration="60"
        ),
        # The playback server's /list, between a start and an end.
        playback(grant, start=rfc3339(first), end=rfc3339(last)),
    ]
    assert await statuses(gateway, *inside) == [200] * len(inside)
    outside = [
        playback(grant, start="2020-01-01T00:00:00Z", duration="100000h"),  # the reported attack
        playback(grant, start=rfc3339(first), duration="360000000"),  # 100,000 hours in seconds
        playback(grant, start=rfc3339(first), duration="3600.000000001"),  # a nanosecond past its end
        playback(grant, start=rfc3339(first - dt.timedelta(seconds=1)), duration="60"),  # before
        playback(grant, start=rfc3339(last + dt.timedelta(minutes=1)), duration="60"),  # after
        playback(grant, start=rfc3339(first), end=rfc3339(last + dt.timedelta(seconds=1))),
        playback(grant, duration="60"),  # no start: from the first recording on
        playback(grant, start=rfc3339(first)),  # no bound: as far as the recordings go
        playback(grant),
        hook(grant["token"], grant["path"], "read"),  # a playback grant is no live grant
    ]
    assert await statuses(gateway, *outside) == [401] * len(outside)
    metrics = (await gateway.get("/metrics")).text
    assert refusals(metrics, "range") == len(outside) - 1
    assert refusals(metrics, "action") == 1


async def test_a_playback_query_is_read_strictly(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
    hour_two_days_ago: tuple[dt.datetime, dt.datetime],
) -> None:
    """What MediaMTX might read otherwise than the gateway is refused: a start without its UTC
    offset, a date alone, an exponent, a sign or `inf` for a duration, a parameter given twice
    (Go reads the first), a `;` (Go drops the pair it is in)."""
    first, _ = hour_two_days_ago
    grant = await call_up(
        gateway,
        token,
        camera["id"],
        mode="playback",
        range_from=first.isoformat(),
        range_to=(first + dt.timedelta(hours=1)).isoformat(),
    )
    start = rfc3339(first)
    path = f"path={grant['path']}"
    queries = [
        urlencode({"start": first.replace(tzinfo=None).isoformat(), "duration": "60"}),
        urlencode({"start": first.date().isoformat(), "duration": "60"}),
        urlencode({"start": start, "duration": "6e1"}),
        urlencode({"start": start, "duration": "+60"}),
        urlencode({"start": start, "duration": "-60"}),
        urlencode({"start": start, "duration": "inf"}),
        urlencode({"start": start, "duration": "1h 2m"}),
        f"{path}&start=2020-01-01T00:00:00Z&start={start}&duration=60",
        f"{path}&start={start}&duration=60&duration=100000h",
        f"{path}&start={start};duration=100000h&duration=60",
    ]
    bodies = [{**playback(grant), "query": query} for query in queries]
    assert await statuses(gateway, *bodies) == [401] * len(bodies)
    metrics = (await gateway.get("/metrics")).text
    assert refusals(metrics, "range") == 7
    assert refusals(metrics, "query") == 3
    ok = {**playback(grant), "query": f"{path}&start={start.replace(':', '%3A')}&duration=60.5&format=mp4"}
    assert (await gateway.post(HOOK, json=ok)).status_code == 200


async def test_a_live_grant_serves_only_live(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
    hour_two_days_ago: tuple[dt.datetime, dt.datetime],
) -> None:
    """A live grant on the playback server, or a live read carrying playback parameters: 401."""
    grant = await call_up(gateway, token, camera["id"])
    first, _ = hour_two_days_ago
    refused = [
        playback(grant, start=rfc3339(first), duration="60"),
        hook(grant["token"], grant["path"], query=f"start={rfc3339(first)}&duration=60"),
        hook(grant["token"], grant["path"], "publish"),
    ]
    assert await statuses(gateway, *refused) == [401, 401, 401]
    assert await statuses(gateway, hook(grant["token"], grant["path"])) == [200]
    metrics = (await gateway.get("/metrics")).text
    assert refusals(metrics, "action") == 2 and refusals(metrics, "range") == 1


async def test_a_grant_serves_the_address_that_called_it_up(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
) -> None:
    """The grant is bound to the address the gateway saw the call-up come from (the one the
    register keeps); a reader elsewhere holding the same token is refused."""
    grant = await call_up(gateway, token, camera["id"])
    assert grant["binding"] == "address" and grant["session_key"] is None
    r = await gateway.get(
        "/api/v1/register", params={"camera_id": camera["id"]}, headers=auth(token(Role.AUDITOR))
    )
    record = next(item for item in r.json()["items"] if item["seq"] == grant["use_seq"])
    assert record["client_address"] == CLIENT_ADDRESS
    elsewhere = [
        hook(grant["token"], grant["path"], ip="10.20.1.17"),
        hook(grant["token"], grant["path"], ip="2001:db8::17"),
        hook(grant["token"], grant["path"], ip=""),
        # A session key is no way around an address binding.
        hook(grant["token"], grant["path"], ip="10.20.1.17", query="session=anything"),
    ]
    assert await statuses(gateway, *elsewhere) == [401] * len(elsewhere)
    # The same address, as a dual-stack listener writes it.
    assert await statuses(gateway, hook(grant["token"], grant["path"], ip=f"::ffff:{CLIENT_ADDRESS}")) == [
        200
    ]
    metrics = (await gateway.get("/metrics")).text
    assert refusals(metrics, "address") == len(elsewhere)


async def test_a_session_key_grant_serves_its_key_from_anywhere(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
    hour_two_days_ago: tuple[dt.datetime, dt.datetime],
) -> None:
    """A call-up asking for a session-key binding (an officer behind NAT, or reaching the relay
    another way) gets a key, shown once, whose hash alone is in the grant; the relay serves a
    reader presenting it (`session=<key>`) from any address, and refuses a wrong or missing
    key, whatever the address."""
    grant = await call_up(gateway, token, camera["id"], binding="session_key")
    key = grant["session_key"]
    assert grant["binding"] == "session_key" and len(key) >= 40
    payload = json.loads(base64.urlsafe_b64decode(grant["token"].split(".")[1] + "=="))
    assert key not in grant["token"] and "cip" not in payload and len(payload["skh"]) == 64
    accepted = [
        hook(grant["token"], grant["path"], ip="203.0.113.7", query=f"session={key}"),
        hook(
            "", grant["path"], ip="198.51.100.20", query=urlencode({"token": grant["token"], "session": key})
        ),
    ]
    assert await statuses(gateway, *accepted) == [200, 200]
    refused = [
        hook(grant["token"], grant["path"], ip="203.0.113.7", query=f"session={key[:-1]}x"),
        hook(grant["token"], grant["path"], ip="203.0.113.7"),
        hook(grant["token"], grant["path"]),  # the calling address is no key
        hook(grant["token"], grant["path"], query=f"session={key}&session={key}"),
    ]
    assert await statuses(gateway, *refused) == [401] * len(refused)
    metrics = (await gateway.get("/metrics")).text
    assert refusals(metrics, "session_key") == 3 and refusals(metrics, "query") == 1
    # A playback grant too: the key on the playback server's query, next to its range.
    first, last = hour_two_days_ago
    replay = await call_up(
        gateway,
        token,
        camera["id"],
        mode="playback",
        range_from=first.isoformat(),
        range_to=last.isoformat(),
        binding="session_key",
    )
    bounded = {"start": rfc3339(first), "duration": "60"}
    assert await statuses(
        gateway,
        playback(replay, ip="203.0.113.7", session=replay["session_key"], **bounded),
        playback(replay, ip="203.0.113.7", session=key, **bounded),  # another grant's key
    ) == [200, 401]


async def test_a_grant_admits_at_most_its_readers_across_replicas(
    migrated: str,  # noqa: F811
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    camera: dict[str, Any],  # noqa: F811
) -> None:
    """Two readers per grant by default, counted in the database that every replica shares: a
    reader asking again (an RTSP connection's DESCRIBE and SETUPs share its id) is the same
    reader; the third is refused by whichever replica it asks, also when ten ask at once."""
    settings = gateway_settings(migrated, bootstrap, registry_url, token, signing_keys)
    async with replicas(create_app(settings), create_app(settings)) as (one, two):
        grant = await call_up(one, token, camera["id"])
        a, b, c = (hook(grant["token"], grant["path"]) for _ in range(3))
        assert await statuses(one, a, a) == [200, 200]
        assert await statuses(two, b, a) == [200, 200]
        assert await statuses(two, c) == [401]
        assert await statuses(one, c, b) == [401, 200]
        assert refusals((await two.get("/metrics")).text, "readers") == 1
        assert refusals((await one.get("/metrics")).text, "readers") == 1

        rush = await call_up(two, token, camera["id"])
        readers = [hook(rush["token"], rush["path"]) for _ in range(10)]
        answers = await asyncio.gather(
            *((one, two)[i % 2].post(HOOK, json=body) for i, body in enumerate(readers))
        )
        assert sorted(r.status_code for r in answers) == [200, 200] + [401] * 8


async def test_readers_are_a_setting(
    migrated: str,  # noqa: F811
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    camera: dict[str, Any],  # noqa: F811
) -> None:
    """`GATEWAY_GRANT_MAX_READERS`: one reader, and a second is refused."""
    settings = gateway_settings(migrated, bootstrap, registry_url, token, signing_keys, grant_max_readers=1)
    async for gw in serve(create_app(settings)):
        grant = await call_up(gw, token, camera["id"])
        first, second = hook(grant["token"], grant["path"]), hook(grant["token"], grant["path"])
        assert await statuses(gw, first, second, first) == [200, 401, 200]


async def test_the_readers_of_expired_grants_are_swept(migrated: str) -> None:  # noqa: F811
    """The readers' table holds what is still of use: each replica's sweep removes, as the
    service's own database role, the readers of grants expired a minute ago or more, and keeps
    the others."""
    engine = create_engine(migrated, 1, "gateway-test", role=SERVICE_ROLE)
    sessions = create_sessionmaker(engine)
    now = dt.datetime.now(dt.UTC)
    expired, live = uuid.uuid4(), uuid.uuid4()
    try:
        async with session_scope(sessions) as session:
            readers = GrantReaders(session)
            assert await readers.admit(expired, "id one", now - dt.timedelta(minutes=2), 2)
            assert await readers.admit(live, "id one", now + dt.timedelta(minutes=5), 2)
        sweep = ExpiredReaders(sessions)
        await sweep.run_once()  # the first sweep a period after start
        await sweep.run_once()
        async with session_scope(sessions) as session:
            kept = set(await session.scalars(select(GrantReader.grant_id)))
        assert live in kept and expired not in kept
    finally:
        await engine.dispose()


async def test_the_grant_key_rotates_with_the_previous_key_verifying(
    migrated: str,  # noqa: F811
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    camera: dict[str, Any],  # noqa: F811
) -> None:
    """During a rotation (`GATEWAY_GRANT_KEY` the new key, `GATEWAY_GRANT_PREVIOUS_KEY` the old)
    a grant signed before it still plays and new grants are signed with the new key; once the
    previous key is removed, the old grant is refused and the new one still plays."""

    def settings(**keys: Any) -> Any:
        return gateway_settings(migrated, bootstrap, registry_url, token, signing_keys, **keys)

    before = create_app(settings())
    during = create_app(settings(grant_key=SecretStr(NEW_KEY), grant_previous_key=SecretStr(GRANT_KEY)))
    after = create_app(settings(grant_key=SecretStr(NEW_KEY)))
    async with replicas(before, during, after) as (old, rotating, rotated):
        signed_before = await call_up(old, token, camera["id"])
        signed_during = await call_up(rotating, token, camera["id"])
        jwt.decode(signed_during["token"], NEW_KEY, algorithms=["HS256"], audience="jifang-relay")
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(signed_during["token"], GRANT_KEY, algorithms=["HS256"], audience="jifang-relay")
        assert await statuses(
            rotating,
            hook(signed_before["token"], signed_before["path"]),
            hook(signed_during["token"], signed_during["path"]),
        ) == [200, 200]
        assert await statuses(
            rotated,
            hook(signed_before["token"], signed_before["path"]),
            hook(signed_during["token"], signed_during["path"]),
        ) == [401, 200]
        assert refusals((await rotated.get("/metrics")).text, "invalid") == 1


async def test_a_short_previous_key_stops_the_gateway(
    migrated: str,  # noqa: F811
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
) -> None:
    settings = gateway_settings(
        migrated, bootstrap, registry_url, token, signing_keys, grant_previous_key=SecretStr("short")
    )
    app = create_app(settings)
    with pytest.raises(RuntimeError, match="GATEWAY_GRANT_PREVIOUS_KEY"):
        async with app.router.lifespan_context(app):
            pass


@asynccontextmanager
async def replicas(*apps: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    """Several gateway apps on one database (replicas, or one deployment before and after a
    change), each with its own client."""
    async with AsyncExitStack() as stack:
        yield tuple([await stack.enter_async_context(asynccontextmanager(serve)(app)) for app in apps])
