"""Publishing the packs: a unit learns its place categories, the systems each needs, forbidden
places, retention, deadlines and penalties here, each with its article (not from a 422)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from jifang.auth import Principal, Role, require
from jifang.errors import Conflict, NotFound
from jifang.policy import PACKS_DIR, LocationType, PolicyBook, PolicyPack, Regulation, load_pack
from services.registry.clock import utc_now
from services.registry.deps import PolicyBookDep, SessionDep, TechOffice
from services.registry.examples import FORBIDDEN_PLACE_ADD, FORBIDDEN_PLACE_ADDED, PACK_SUMMARY, examples
from services.registry.findings.service import FindingService
from services.registry.models import ForbiddenPlaceAddition
from services.registry.policy.repository import ForbiddenPlaceRepository, applied_book
from services.registry.units.repository import UnitRepository
from services.registry.validators import Input, Reason

router = APIRouter(prefix="/policy", tags=["policy"])

# The law is the same for everyone who may use the platform: any signed-in role reads it.
AnyRole = Annotated[Principal, require(*Role)]


class PackSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(PACK_SUMMARY))

    id: str
    city: str
    city_zh: str
    citation_prefix: str
    regulation: Regulation


@router.get(
    "",
    response_model=list[PackSummary],
    operation_id="policy.list",
    summary="The policy packs (one per jurisdiction)",
)
async def list_packs(book: PolicyBookDep, principal: AnyRole) -> list[PackSummary]:
    """The jurisdictions the platform applies, each with its regulation (title, issuing order,
    date in force) and the prefix its findings cite articles with. Any signed-in role."""
    return [
        PackSummary(
            id=p.id,
            city=p.city,
            city_zh=p.city_zh,
            citation_prefix=p.citation_prefix,
            regulation=p.regulation,
        )
        for p in (book[i] for i in book.ids())
    ]


@router.get(
    "/{pack}",
    response_model=PolicyPack,
    operation_id="policy.get",
    summary="One policy pack, whole",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": load_pack(PACKS_DIR / "harbin-2008.yaml").model_dump(
                        mode="json", by_alias=True
                    )
                }
            }
        }
    },
)
async def get_pack(
    book: PolicyBookDep,
    session: SessionDep,
    principal: AnyRole,
    pack: Annotated[str, Path(max_length=50, examples=["harbin-2008"])],
) -> PolicyPack:
    """Everything a unit under this jurisdiction must do, as the platform applies it: place
    categories (codes to use for places) with the system types each needs, residential and
    vehicle rules, forbidden camera places, networking, retention days, filing deadlines and
    materials, inspection interval, penalties with their fine ranges, the articles every finding
    cites, and the platform defaults (numbers the law does not give, marked
    `platform_default: true`). Articles are given as in the regulation (`art. 7(4)`); a finding
    cites them with the pack's `citation_prefix` (`HRB-2008 art. 7(4)`). The place types the
    tech office added to the forbidden list are under `forbidden_camera_places.added`, each with
    its reason. Any signed-in role."""
    found = (await applied_book(session, book)).get(pack)
    if found is None:
        raise NotFound(f"No policy pack {pack!r}; known: {', '.join(book.ids())}")
    return found


class ForbiddenPlaceAdd(Input):
    model_config = ConfigDict(json_schema_extra=examples(FORBIDDEN_PLACE_ADD))

    reason: Reason = Field(description="Why cameras are forbidden there, for the record")


class ForbiddenPlaceAdded(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(FORBIDDEN_PLACE_ADDED))

    jurisdiction: str
    location_type: LocationType
    reason: str
    added_by: str
    added_at: dt.datetime
    article: str = Field(description="The list it extends, which ends in 等")


def _known(book: PolicyBook, pack: str) -> PolicyPack:
    found = book.get(pack)
    if found is None:
        raise NotFound(f"No policy pack {pack!r}; known: {', '.join(book.ids())}")
    return found


async def _rejudge(session: SessionDep, book: PolicyBook, pack: str) -> None:
    """The pack's units judged again now: a camera already in such a place is a finding at once."""
    await FindingService(session, book).recompute(await UnitRepository(session).active_ids(pack))


@router.put(
    "/{pack}/forbidden-places/{location_type}",
    response_model=ForbiddenPlaceAdded,
    operation_id="policy.forbid_place",
    summary="Add a place type to a pack's forbidden-camera list (等)",
    responses={409: {"description": "The pack's text already lists the place type"}},
)
async def forbid_place(
    pack: Annotated[str, Path(max_length=50, examples=["kunming-2012"])],
    location_type: LocationType,
    body: ForbiddenPlaceAdd,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> ForbiddenPlaceAdded:
    """The forbidden-place lists end in 等 (HRB art. 19 para. 2 "...等涉及公民隐私的场所或部位";
    KMG art. 7 "...哺乳室等涉及公民个人隐私的场所和区域"; ruling 5): the tech office adds a place
    type with its reason, effective at once: a camera there is refused (422 citing the article
    and the reason), the gateway no longer hands out its images, and the pack's units are judged
    again (a camera already there is a finding). Setting it again replaces the reason. The tech
    office only."""
    found = _known(book, pack)
    if location_type in found.forbidden_camera_places.location_types:
        raise Conflict(f"{found.city}'s text already forbids cameras in a {location_type.value}")
    added = ForbiddenPlaceAddition(
        jurisdiction=pack,
        location_type=location_type,
        reason=body.reason,
        added_by=principal.subject,
        added_at=utc_now(),
    )
    await ForbiddenPlaceRepository(session).put(added)
    await _rejudge(session, await applied_book(session, book), pack)
    return ForbiddenPlaceAdded(
        jurisdiction=pack,
        location_type=location_type,
        reason=added.reason,
        added_by=added.added_by,
        added_at=added.added_at,
        article=found.cite(found.forbidden_camera_places.article),
    )


@router.delete(
    "/{pack}/forbidden-places/{location_type}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="policy.allow_place",
    summary="Withdraw a place type the tech office added",
)
async def allow_place(
    pack: Annotated[str, Path(max_length=50, examples=["kunming-2012"])],
    location_type: LocationType,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> Response:
    """Withdraw an addition (404 if there is none; a type the pack's text lists cannot be
    withdrawn). The pack's units are judged again. The tech office only."""
    _known(book, pack)
    repo = ForbiddenPlaceRepository(session)
    if not await repo.remove(pack, location_type):
        raise NotFound(f"The tech office has not added {location_type.value} to {pack}'s list")
    await _rejudge(session, await applied_book(session, book), pack)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
