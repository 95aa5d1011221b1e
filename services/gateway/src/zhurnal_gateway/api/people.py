"""/api/v1 of people (served by identity): an institution's people, one person, hiring and
dismissing staff.

Personal data (152-FZ) is answered only when asked with a purpose, only to roles whose work
needs it, and every such read is logged by identity with that purpose; without a purpose a
person comes without it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from zhurnal.identity.v1 import access_pb2
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


StaffRole = Literal["teacher", "deputy", "director", "administrator"]
_STAFF_ROLE: dict[str, access_pb2.Role.ValueType] = {
    "teacher": access_pb2.ROLE_TEACHER,
    "deputy": access_pb2.ROLE_DEPUTY,
    "director": access_pb2.ROLE_DIRECTOR,
    "administrator": access_pb2.ROLE_ADMINISTRATOR,
}


class Basis(BaseModel):
    """The written ground of a change: the number and date of an order or application."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: str = Field(min_length=1, max_length=100, examples=["12-к"])
    date: date


class PersonalDataInput(BaseModel):
    """Personal data given at hiring (152-FZ: kept by identity, read only with a purpose)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    birth_date: date | None = None
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=500)


class Hire(BaseModel):
    """A member of staff to hire: identity creates the Keycloak account and the role."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    last_name: str = Field(min_length=1, max_length=100, examples=["Ёлкина"])
    first_name: str = Field(min_length=1, max_length=100, examples=["Анна"])
    patronymic: str = Field(default="", max_length=100)
    position: str = Field(min_length=1, max_length=200, examples=["учитель математики"])
    employment_start: date
    login: str = Field(min_length=3, max_length=100, pattern=r"^[a-z0-9._-]+$")
    role: StaffRole
    basis: Basis | None = Field(default=None, description="The order of employment")
    personal_data: PersonalDataInput = Field(default_factory=PersonalDataInput)


class Hired(BaseModel):
    """The hired person; ``temporary_password`` is shown this once (changed at first login)."""

    person: Person
    temporary_password: str


class Dismissal(BaseModel):
    """The end of a person's employment (R-4.3): every role of theirs ends, their account is
    disabled and their sessions end; they stay the author of their past entries."""

    model_config = ConfigDict(extra="forbid")

    employment_end: date
    basis: Basis


def _to_date(value: date | None) -> pb.Date:
    return pb.Date(year=value.year, month=value.month, day=value.day) if value else pb.Date()


def _basis(value: Basis | None) -> access_pb2.Basis:
    if value is None:
        return access_pb2.Basis()
    return access_pb2.Basis(number=value.number, date=value.date.isoformat())


@router.post(
    "/institutions/{institution_id}/staff",
    status_code=201,
    operation_id="hire_staff",
    responses=error_responses(401, 403, 409, 422, 503),
)
async def hire_staff(
    institution_id: Annotated[str, Path(min_length=1, max_length=36)],
    body: Hire,
    gateway: GatewayDep,
    caller: CurrentCaller,
    response: Response,
    idempotency_key: Annotated[str, Header(max_length=255)] = "",
) -> Hired:
    """Hire a member of staff of the institution (its administrator)."""
    data = body.personal_data
    reply = await gateway.people.HireStaff(
        pb.HireStaffRequest(
            institution_id=institution_id,
            last_name=body.last_name,
            first_name=body.first_name,
            patronymic=body.patronymic,
            position=body.position,
            employment_start=_to_date(body.employment_start),
            login=body.login,
            role=_STAFF_ROLE[body.role],
            personal_data=pb.PersonalData(
                birth_date=_to_date(data.birth_date),
                email=data.email,
                phone=data.phone,
                address=data.address,
            ),
            basis=_basis(body.basis),
            idempotency_key=idempotency_key,
        )
    )
    response.headers["Location"] = f"{router.prefix}/people/{reply.person.id}"
    return Hired(person=_person(reply.person), temporary_password=reply.temporary_password)


@router.post(
    "/people/{person_id}/dismissal",
    operation_id="dismiss_staff",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def dismiss_staff(
    person_id: Annotated[str, Path(min_length=1, max_length=36)],
    body: Dismissal,
    gateway: GatewayDep,
    caller: CurrentCaller,
) -> Person:
    """Dismiss a member of staff (R-4.3)."""
    reply = await gateway.people.DismissStaff(
        pb.DismissStaffRequest(
            person_id=person_id,
            employment_end=_to_date(body.employment_end),
            basis=_basis(body.basis),
        )
    )
    return _person(reply.person)
