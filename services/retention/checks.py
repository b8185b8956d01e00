"""The retention check: read recorders over ONVIF (bounded concurrency, bounded time each),
store what they said per channel, judge it set-based, publish each channel's result.

Reading is network work without the database; recording is database work in the caller's
transaction (the loop or the request commits). A recorder that misbehaves costs at most its
deadline and yields "cannot verify" for its channels; it never stops the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.credentials import RegistryCredentials, UnknownDevice
from jifang.events import event_meta
from jifang.onvif import OnvifClient
from jifang.policy import PolicyBook
from jifang.topics import RETENTION_TOPIC
from jifang.v1 import retention_pb2
from services.retention.findings import render_findings
from services.retention.observations import ObservationRepository
from services.retention.outbox import OutboxRepository
from services.retention.partitions import PartitionRepository
from services.retention.reading import ReadLimits, RecorderReading, match_cameras, read_recorder
from services.retention.repository import FleetRepository, Recorder

log = logging.getLogger("retention.checks")

VERDICTS = ("compliant", "violating", "not_yet_due", "cannot_verify")
# The pseudo-channel of a recorder whose channels are unknown (unreadable, or an empty index).
WHOLE_RECORDER = "*"


class RetentionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.channels = Gauge(
            "retention_channels",
            "Recorder channels by their latest verdict",
            ["district", "category", "verdict"],
            registry=registry,
        )
        self.check_duration = Histogram(
            "retention_check_duration_seconds",
            "Time to read one recorder's index",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=registry,
        )
        self.device_errors = Counter(
            "retention_device_errors_total",
            "Recorders that could not be verified, by cause",
            ["result"],
            registry=registry,
        )
        self.channel_checks = Counter(
            "retention_channel_checks_total",
            "Channel results recorded, by verdict",
            ["verdict"],
            registry=registry,
        )
        self.round_duration = Gauge(
            "retention_last_batch_duration_seconds",
            "Wall time of the checker's last batch of recorders",
            registry=registry,
        )

    def set_counts(self, counts: Sequence[tuple[str, str | None, str, int]]) -> None:
        self.channels.clear()
        for district, category, verdict, n in counts:
            self.channels.labels(district, category or "none", verdict).set(n)


@dataclass(frozen=True)
class Reading:
    recorder: Recorder
    result: RecorderReading


class RetentionChecker:
    def __init__(
        self,
        credentials: RegistryCredentials,
        metrics: RetentionMetrics,
        book: PolicyBook,
        *,
        window: timedelta,
        limits: ReadLimits | None = None,
        concurrency: int = 50,
    ) -> None:
        self.credentials = credentials
        self.metrics = metrics
        self.book = book
        self.window = window
        self.limits = limits or ReadLimits()
        self._slots = asyncio.Semaphore(concurrency)
        self._months: set[Any] = set()

    # --- network ---

    async def read(self, recorders: Sequence[Recorder]) -> list[Reading]:
        return list(await asyncio.gather(*(self._read_one(r) for r in recorders)))

    async def _read_one(self, recorder: Recorder) -> Reading:
        async with self._slots:
            started = time.perf_counter()
            checked_at = datetime.now(UTC)
            try:
                creds = await self.credentials.get(recorder.device_id)
            except UnknownDevice:
                result = RecorderReading(
                    checked_at, reason="the registry no longer holds this device", result="unknown"
                )
            except Exception as exc:  # the registry is down: this round cannot read the device
                result = RecorderReading(
                    checked_at, reason=f"credentials unavailable ({type(exc).__name__})", result="credentials"
                )
            else:
                client = OnvifClient(
                    creds.onvif_address or recorder.onvif_address,
                    creds.username,
                    creds.password,
                    timeout_s=self.limits.call_timeout_s,
                )
                try:
                    result = await read_recorder(client, checked_at, self.window, self.limits)
                finally:
                    client.close()
            self.metrics.check_duration.observe(time.perf_counter() - started)
            if result.result:
                self.metrics.device_errors.labels(result.result).inc()
            return Reading(recorder, result)

    # --- database (the caller's transaction) ---

    async def record(
        self, session: AsyncSession, readings: Sequence[Reading], interval_s: float
    ) -> list[Row[Any]]:
        """Store, judge and publish the readings; schedule the recorders' next turn."""
        if not readings:
            return []
        fleet = FleetRepository(session)
        observations = ObservationRepository(session)
        rows: list[dict[str, Any]] = []
        for reading in readings:
            check_id = uuid.uuid4()
            recorder_rows = await self._rows(fleet, observations, reading, check_id)
            rows.extend(recorder_rows)
            if reading.result.verified:
                await observations.retire_channels(
                    reading.recorder.device_id, [r["recording_token"] for r in recorder_rows]
                )
        months = {r["checked_at"].date().replace(day=1) for r in rows} - self._months
        if months:
            await PartitionRepository(session).ensure(months)
            self._months |= months
        judged = await observations.record(rows)
        await OutboxRepository(session).add(judged_events(judged, self.book))
        for row in judged:
            self.metrics.channel_checks.labels(row.verdict).inc()
        latest = max(r.result.checked_at for r in readings)
        await fleet.schedule([r.recorder.device_id for r in readings], latest, interval_s)
        return judged

    async def _rows(
        self,
        fleet: FleetRepository,
        observations: ObservationRepository,
        reading: Reading,
        check_id: uuid.UUID,
    ) -> list[dict[str, Any]]:
        rec, res = reading.recorder, reading.result
        base = {
            "check_id": check_id,
            "recorder_id": rec.device_id,
            "unit_id": rec.unit_id,
            "checked_at": res.checked_at,
        }
        if not res.verified:
            tokens = await observations.known_tokens(rec.device_id) or [WHOLE_RECORDER]
            return [
                {**base, **_EMPTY, "recording_token": t, "outcome": "cannot_verify", "reason": res.reason}
                for t in tokens
            ]
        cameras = await fleet.cameras_of(rec.device_id)
        matched = match_cameras(rec.device_id, rec.kind, res.channels, cameras)
        out = [
            {
                **base,
                **_EMPTY,
                "recording_token": ch.token,
                "source_name": ch.source_name,
                "camera_id": matched[ch.token],
                "outcome": "read",
                "earliest": ch.earliest,
                "latest": ch.latest,
                "footage": [asyncpg.Range(a, b) for a, b in ch.footage],
                "recording_status": ch.status,
                "max_retention_s": ch.max_retention_s,
            }
            for ch in res.channels
        ]
        # A registered camera of this NVR that the index does not hold keeps nothing.
        recorded = {c for c in matched.values() if c is not None}
        out.extend(
            {
                **base,
                **_EMPTY,
                "recording_token": f"channel {n}",
                "camera_id": camera,
                "outcome": "read",
                "footage": [],
            }
            for n, camera in sorted(cameras.items())
            if camera not in recorded
        )
        if not out:  # an index with nothing in it
            out.append(
                {**base, **_EMPTY, "recording_token": WHOLE_RECORDER, "outcome": "read", "footage": []}
            )
        return out


_EMPTY: dict[str, Any] = {
    "source_name": None,
    "camera_id": None,
    "reason": None,
    "earliest": None,
    "latest": None,
    "footage": None,
    "recording_status": None,
    "max_retention_s": None,
}


def _ts(value: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(value)
    return t


def judged_events(judged: Sequence[Row[Any]], book: PolicyBook) -> list[dict[str, Any]]:
    """One RetentionChecked event per judged channel, as outbox rows keyed by unit."""
    out = []
    for row in judged:
        meta = event_meta("retention", row.jurisdiction or "")
        event = retention_pb2.RetentionChecked(
            meta=meta,
            unit_id=str(row.unit_id),
            recorder_id=str(row.recorder_id),
            recording_token=row.recording_token,
            camera_id=str(row.camera_id) if row.camera_id else "",
            district=row.district or "",
            category=row.category or "",
            checked_at=_ts(row.checked_at),
            verdict=row.verdict,
            reason=row.reason or "",
            required_days=row.required_days or 0,
            requirement_source=row.requirement_source or "",
            retained_days=row.retained_days or 0.0,
            due_date=row.due_date.isoformat() if row.due_date else "",
            recording_status=row.recording_status or "",
            configured_retention_days=(row.max_retention_s or 0.0) / 86400,
            findings=[
                retention_pb2.RetentionFinding(
                    rule=f["rule"],
                    kind=f["kind"],
                    articles=f["articles"],
                    penalty=f.get("penalty") or "",
                    detail=f["detail"],
                )
                for f in render_findings(row, book)
            ],
            gaps=[
                retention_pb2.FootageGap(
                    start=_ts(datetime.fromisoformat(a)), end=_ts(datetime.fromisoformat(b))
                )
                for a, b in row.gaps or []
            ],
        )
        out.append(
            {
                "event_id": uuid.UUID(meta.event_id),
                "topic": RETENTION_TOPIC,
                "key": str(row.unit_id),
                "event_type": "retention_checked",
                "payload": event.SerializeToString(),
            }
        )
    return out
