"""Who sees which unit: a unit admin sees its own unit only; others get 404, not 403,
so that the existence of other units is not disclosed."""

from __future__ import annotations

import uuid
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import NotFound
from services.registry.models import Unit
from services.registry.units.repository import UnitRepository


class OfUnit(Protocol):
    @property
    def unit_id(self) -> uuid.UUID: ...


Record = TypeVar("Record", bound=OfUnit)


def ensure_unit_visible(principal: Principal, unit_id: uuid.UUID, what: str = "unit") -> None:
    if principal.is_unit_scoped and principal.unit_id != unit_id:
        raise NotFound(f"No {what} with this id")


def visible(principal: Principal, record: Record | None, what: str) -> Record:
    """A unit's record (a place, a device, a filing...) if it exists and the principal sees its
    unit; otherwise 404 naming ``what``."""
    if record is None:
        raise NotFound(f"No {what} with this id")
    ensure_unit_visible(principal, record.unit_id, what)
    return record


async def visible_unit(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, *, lock: bool = False
) -> Unit:
    """The unit if the principal sees it; ``lock`` takes its row lock, which serialises the
    changes to a unit (and so keeps its events in order in the outbox)."""
    ensure_unit_visible(principal, unit_id)
    unit = await UnitRepository(session).get(unit_id, for_update=lock)
    if unit is None:
        raise NotFound("No unit with this id")
    return unit


def scoped_unit_filter(principal: Principal) -> uuid.UUID | None:
    """The unit a list must be restricted to, or None for no restriction."""
    return principal.unit_id if principal.is_unit_scoped else None
