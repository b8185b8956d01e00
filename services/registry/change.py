"""One change to a unit's records: lock the unit, change, queue the events, recompute findings.

Every change to what a unit has (its data, places, systems, devices, filings, inspections, its
NVRs' registrations) goes through ``UnitChange``::

    async with UnitChange(session, book, principal, unit_id) as change:
        ...  # check and change rows of change.unit
        change.publish(place_event(place))

On entry the unit's row is locked (404 if the principal does not see it): changes to one unit
are serialised, so its events reach the outbox in the order they happened. On a normal exit
the changes are flushed, the events queued to the outbox in the caller's transaction, and the
unit's findings recomputed; on an error nothing is queued (the request edge rolls back). The
transaction is the caller's: nothing here commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict
from jifang.policy import PolicyBook, PolicyPack
from services.registry.access import visible_unit
from services.registry.clock import Clock, utc_now
from services.registry.events import publish
from services.registry.findings.service import FindingService
from services.registry.models import Unit
from services.registry.policy.repository import applied_book

CLOSED_UNIT = "the unit is closed (注销): its records are read-only"


def change_conflicts(*own: str) -> dict[int | str, dict[str, Any]]:
    """The documented 409 of a route that changes a unit's records through ``UnitChange``: a
    closed unit, besides the route's own conflicts (OpenAPI has one description per status)."""
    text = "; ".join([*own, CLOSED_UNIT])
    return {409: {"description": text[0].upper() + text[1:]}}


@dataclass
class UnitChange:
    session: AsyncSession
    book: PolicyBook
    principal: Principal
    unit_id: uuid.UUID
    # The findings' clock (tests move time).
    clock: Clock = field(default=utc_now, kw_only=True)
    # False where the change cannot alter a finding: a draft filing, a material, an inspection
    # record, an NVR's registration.
    recompute: bool = field(default=True, kw_only=True)
    unit: Unit = field(init=False)
    _events: list[Message] = field(default_factory=list, init=False)

    async def __aenter__(self) -> UnitChange:
        self.unit = await visible_unit(self.session, self.principal, self.unit_id, lock=True)
        # The forbidden-place lists as the tech office extended them (ruling 5).
        self.book = await applied_book(self.session, self.book)
        if self.unit.closed_at is not None:
            # A closed unit's records are its history: read, never changed.
            raise Conflict(f"The unit was closed (注销) on {self.unit.closed_on}: its records are read-only")
        return self

    @property
    def pack(self) -> PolicyPack:
        """The unit's pack (its jurisdiction's, as changed so far)."""
        return self.book[self.unit.jurisdiction]

    def publish(self, body: Message) -> None:
        """Queue an event of this unit; it goes to the outbox when the change ends."""
        self._events.append(body)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            return
        await self.session.flush()
        for body in self._events:
            publish(self.session, self.unit, body)
        if self.recompute:
            await FindingService(self.session, self.book, self.clock).recompute_unit(self.unit)
