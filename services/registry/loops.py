"""The registry's background loops, on the shared long-running-service base."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.policy import PolicyBook
from jifang.runner import LongRunningService
from services.registry.clock import utc_now
from services.registry.devices.repository import DeviceRepository
from services.registry.filings.repository import FilingRepository
from services.registry.findings.repository import FindingRepository
from services.registry.findings.service import FindingService
from services.registry.nvr.service import mark_offline
from services.registry.policy.repository import applied_book
from services.registry.units.repository import UnitRepository


class _PeriodicRegistryTask(LongRunningService):
    """A loop over the registry's database under its policy packs, every ``interval_s``."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], book: PolicyBook, interval_s: float
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.book = book
        self.interval_s = interval_s


class HeartbeatWatchdog(_PeriodicRegistryTask):
    """NVRs that missed 3 heartbeat intervals go offline (the count is a pack default)."""

    name = "heartbeat-watchdog"

    async def run_once(self) -> float:
        async with session_scope(self.sessionmaker) as session:
            now = utc_now()
            for device in await DeviceRepository(session).heartbeat_overdue(now):
                await mark_offline(session, self.book, device, now)
        return self.interval_s


class FindingsSweep(_PeriodicRegistryTask):
    """Deadlines pass with time, not only with changes: filings fall due, ordered corrections
    escalate. Re-evaluates every unit periodically, a chunk per transaction."""

    name = "findings-sweep"

    async def run_once(self) -> float:
        async with session_scope(self.sessionmaker) as session:
            unit_ids = await UnitRepository(session).active_ids()
            book = await applied_book(session, self.book)
        for i in range(0, len(unit_ids), 1000):
            async with session_scope(self.sessionmaker) as session:
                await FindingService(session, book).recompute(unit_ids[i : i + 1000])
        return self.interval_s


class RegistryGauges(LongRunningService):
    """Domain gauges for /metrics, refreshed periodically rather than per scrape."""

    name = "registry-gauges"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        registry: CollectorRegistry,
        interval_s: float,
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.interval_s = interval_s
        self.devices = Gauge(
            "registry_devices",
            "Registered devices by kind and status",
            ["kind", "status"],
            registry=registry,
        )
        self.findings = Gauge(
            "registry_findings_active",
            "Active findings by status and cited article",
            ["status", "article"],
            registry=registry,
        )
        self.findings_by_rule = Gauge(
            "registry_findings_open",
            "Active findings by rule, status and the unit's district (each finding once; "
            "rule filing_missing: systems past their filing deadline)",
            ["rule", "status", "district"],
            registry=registry,
        )
        self.filings_returned = Gauge(
            "registry_filings_returned",
            "Filings the office returned, waiting for their supplements",
            registry=registry,
        )

    async def run_once(self) -> float:
        async with session_scope(self.sessionmaker) as session:
            devices = await DeviceRepository(session).count_by_status()
            findings = await FindingRepository(session).count_active_by_article()
            by_rule = await FindingRepository(session).count_active_by_rule_and_district()
            returned = await FilingRepository(session).count_returned()
        self.devices.clear()
        for kind, status, n in devices:
            self.devices.labels(kind, status).set(n)
        self.findings.clear()
        for status, article, n in findings:
            self.findings.labels(status, article).set(n)
        self.findings_by_rule.clear()
        for rule, status, district, n in by_rule:
            self.findings_by_rule.labels(rule, status, district).set(n)
        self.filings_returned.set(returned)
        return self.interval_s
