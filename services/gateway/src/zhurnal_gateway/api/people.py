"""/api/v1 of people (served by identity): an institution's people, and one person.

Personal data (152-FZ) is answered only when asked with a purpose, only to roles whose work
needs it, and every such read is logged by identity with that purpose; without a purpose a
person comes without it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from zhurnal.identity.v1 import people_pb2 as pb
from zhurnal_gateway.api.deps import CurrentCaller, GatewayDep
from zhurnal_gateway.api.problems import error_responses

router = APIRouter(prefix="/api/v1", tags=["people"])

Kind = Literal["staff", "student", "guardian"]
AccountStatus = Literal["active", "disabled", "pending", "deleted"]
_KIND: dict[str, pb.PersonKind.ValueType] = {
    "staff": pb.PERSON_KIND_STAFF,
    "student": pb.PERSON_KIND_STUDENT,
    "guardian": pb.PERSON_KIND_GUARDIAN,
}
_KIND_OF = {v: k for k, v in _KIND.items()}
_STATUS_OF: dict[int, AccountStatus] = {
    pb.ACCOUNT_STATUS_ACTIVE: "active",
    pb.ACCOUNT_STATUS_DISABLED: "disabled",
    pb.ACCOUNT_STATUS_PENDING: "pending",
    pb.ACCOUNT_STATUS_DELETED: "deleted",
}


class PersonalData(BaseModel):
    """Personal data: only for roles that need it, every read logged with its purpose."""

    birth_date: date | None
    email: str
    phone: str
    address: str


class Person(BaseModel):
    """A person of the district."""

    id: str
    last_name: str
    first_name: str
    patronymic: str
    kinds: list[Kind]
    login: str
    account_status: AccountStatus
    position: str
    employment_start: date | None
    employment_end: date | None
    personal_data: PersonalData | None = None


class PersonPage(BaseModel):
    """A page of people; pass ``next_page_token`` back as ``page_token`` for the next."""

    items: list[Person]
    next_page_token: str = ""


def _date(value: pb.Date) -> date | None:
    return date(value.year, value.month, value.day) if value.year else None


def _person(item: pb.Person) -> Person:
    data = item.personal_data if item.HasField("personal_data") else None
    return Person(
        id=item.id,
        last_name=item.last_name,
        first_name=item.first_name,
        patronymic=item.patronymic,
        kinds=[_KIND_OF[k] for k in item.kinds if k in _KIND_OF],
        login=item.login,
        account_status=_STATUS_OF.get(item.account_status, "pending"),
        position=item.position,
        employment_start=_date(item.employment_start),
        employment_end=_date(item.employment_end),
        personal_data=PersonalData(
            birth_date=_date(data.birth_date),
            email=data.email,
            phone=data.phone,
            address=data.address,
        )
        if data is not None
        else None,
    )


@router.get(
    "/institutions/{institution_id}/people",
    operation_id="list_people",
    responses=error_responses(401, 403, 422, 503),
)
async def list_people(
    institution_id: Annotated[str, Path(min_length=1, max_length=36)],
    gateway: GatewayDep,
    caller: CurrentCaller,
    kind: Kind | None = None,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    page_token: Annotated[str, Query(max_length=200)] = "",
) -> PersonPage:
    """The institution's staff, students or guardians (all of them without ``kind``)."""
    reply = await gateway.people.ListPeople(
        pb.ListPeopleRequest(
            institution_id=institution_id,
            kind=_KIND[kind] if kind else pb.PERSON_KIND_UNSPECIFIED,
            page_size=page_size,
            page_token=page_token,
        )
    )
    return PersonPage(
        items=[_person(p) for p in reply.people], next_page_token=reply.next_page_token
    )


@router.get(
    "/people/{person_id}",
    operation_id="get_person",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_person(
    person_id: Annotated[str, Path(min_length=1, max_length=36)],
    gateway: GatewayDep,
    caller: CurrentCaller,
    purpose: Annotated[
        str,
        Query(
            max_length=500,
            description="Why personal data is read (logged); without it none is returned",
        ),
    ] = "",
) -> Person:
    """One person; with ``purpose``, their personal data too (when the role may read it)."""
    reply = await gateway.people.GetPerson(
        pb.GetPersonRequest(id=person_id, with_personal_data=bool(purpose), purpose=purpose)
    )
    return _person(reply.person)
