"""Publishing the packs: a unit learns its place categories, the systems each needs, forbidden
places, retention, deadlines and penalties here, each with its article (not from a 422)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict

from jifang.auth import Principal, Role, require
from jifang.errors import NotFound
from jifang.policy import PACKS_DIR, PolicyPack, Regulation, load_pack
from services.registry.deps import PolicyBookDep
from services.registry.examples import PACK_SUMMARY, examples

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
    principal: AnyRole,
    pack: Annotated[str, Path(max_length=50, examples=["harbin-2008"])],
) -> PolicyPack:
    """Everything a unit under this jurisdiction must do, as the platform applies it: place
    categories (codes to use for places) with the system types each needs, residential and
    vehicle rules, forbidden camera places, networking, retention days, filing deadlines and
    materials, inspection interval, penalties with their fine ranges, the articles every finding
    cites, and the platform defaults (numbers the law does not give, marked
    `platform_default: true`). Articles are given as in the regulation (`art. 7(4)`); a finding
    cites them with the pack's `citation_prefix` (`HRB-2008 art. 7(4)`). Any signed-in role."""
    found = book.get(pack)
    if found is None:
        raise NotFound(f"No policy pack {pack!r}; known: {', '.join(book.ids())}")
    return found
