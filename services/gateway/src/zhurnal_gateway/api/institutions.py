"""/api/v1/institutions: the district's institutions (served by identity)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from zhurnal.identity.v1 import identity_pb2 as pb
from zhurnal_gateway.api.deps import CurrentCaller, GatewayDep
from zhurnal_gateway.api.problems import error_responses

router = APIRouter(prefix="/api/v1/institutions", tags=["institutions"])

Kind = Literal["school", "additional_education", "other"]
_KIND_TO_PROTO: dict[str, pb.InstitutionKind.ValueType] = {
    "school": pb.INSTITUTION_KIND_SCHOOL,
    "additional_education": pb.INSTITUTION_KIND_ADDITIONAL_EDUCATION,
    "other": pb.INSTITUTION_KIND_OTHER,
}
_KIND_FROM_PROTO = {v: k for k, v in _KIND_TO_PROTO.items()}


class InstitutionCreate(BaseModel):
    """A new institution of the district."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9-]+$",
        examples=["school-7"],
        description="Unique short code",
    )
    full_name: str = Field(
        min_length=1,
        max_length=500,
        examples=["МБОУ «Средняя общеобразовательная школа № 7»"],
    )
    short_name: str = Field(min_length=1, max_length=100, examples=["Школа № 7"])
    kind: Kind
    time_zone: str = Field(min_length=1, max_length=64, examples=["Europe/Moscow"])
    address: str = Field(default="", max_length=500)


class InstitutionPublic(BaseModel):
    """An institution as the API shows it."""

    id: str
    code: str
    full_name: str
    short_name: str
    kind: Kind
    time_zone: str
    address: str


class InstitutionPage(BaseModel):
    """A page of institutions; pass ``next_page_token`` back as ``page_token`` for the next."""

    items: list[InstitutionPublic]
    next_page_token: str = ""


def _public(item: pb.Institution) -> InstitutionPublic:
    return InstitutionPublic(
        id=item.id,
        code=item.code,
        full_name=item.full_name,
        short_name=item.short_name,
        kind=_KIND_FROM_PROTO.get(item.kind, "other"),
        time_zone=item.time_zone,
        address=item.address,
    )


@router.post(
    "",
    status_code=201,
    operation_id="create_institution",
    responses=error_responses(400, 401, 403, 409, 422, 503),
)
async def create_institution(
    body: InstitutionCreate,
    gateway: GatewayDep,
    caller: CurrentCaller,
    response: Response,
    idempotency_key: Annotated[str, Header(max_length=255)] = "",
) -> InstitutionPublic:
    """Register an institution (district administrators)."""
    reply = await gateway.identity.CreateInstitution(
        pb.CreateInstitutionRequest(
            code=body.code,
            full_name=body.full_name,
            short_name=body.short_name,
            kind=_KIND_TO_PROTO[body.kind],
            time_zone=body.time_zone,
            address=body.address,
            idempotency_key=idempotency_key,
        )
    )
    response.headers["Location"] = f"{router.prefix}/{reply.institution.id}"
    return _public(reply.institution)


@router.get("", operation_id="list_institutions", responses=error_responses(401, 422, 503))
async def list_institutions(
    gateway: GatewayDep,
    caller: CurrentCaller,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    page_token: Annotated[str, Query(max_length=64)] = "",
) -> InstitutionPage:
    """Institutions of the district ordered by code."""
    reply = await gateway.identity.ListInstitutions(
        pb.ListInstitutionsRequest(page_size=page_size, page_token=page_token)
    )
    return InstitutionPage(
        items=[_public(i) for i in reply.institutions], next_page_token=reply.next_page_token
    )


@router.get(
    "/{institution_id}", operation_id="get_institution", responses=error_responses(401, 404, 503)
)
async def get_institution(
    institution_id: Annotated[str, Path(max_length=36)],
    gateway: GatewayDep,
    caller: CurrentCaller,
) -> InstitutionPublic:
    """One institution."""
    reply = await gateway.identity.GetInstitution(pb.GetInstitutionRequest(id=institution_id))
    return _public(reply.institution)
