"""Who sees which unit: a unit admin sees its own unit only; others get 404, not 403,
so that the existence of other units is not disclosed."""

from __future__ import annotations

import uuid

from jifang.auth import Principal
from jifang.errors import NotFound


def ensure_unit_visible(principal: Principal, unit_id: uuid.UUID, what: str = "unit") -> None:
    if principal.is_unit_scoped and principal.unit_id != unit_id:
        raise NotFound(f"No {what} with this id")


def scoped_unit_filter(principal: Principal) -> uuid.UUID | None:
    """The unit a list must be restricted to, or None for no restriction."""
    return principal.unit_id if principal.is_unit_scoped else None
