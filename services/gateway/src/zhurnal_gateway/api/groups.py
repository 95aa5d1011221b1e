"""/api/v1 of groups (served by curriculum): a study year's groups, a group's roster, and
creating groups and moving students in and out of them (the deputy)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from zhurnal.curriculum.v1 import groups_pb2 as pb
from zhurnal_gateway.api.convert import day, to_day
from zhurnal_gateway.api.deps import CurrentCaller, GatewayDep
from zhurnal_gateway.api.problems import error_responses

router = APIRouter(prefix="/api/v1", tags=["groups"])

Id = Annotated[str, Path(min_length=1, max_length=36)]
# A retried write with the same key answers like the first and changes nothing more.
IdempotencyKey = Annotated[str, Header(max_length=255)]
Kind = Literal["class", "association"]
_KIND_OF: dict[int, Kind] = {pb.GROUP_KIND_CLASS: "class", pb.GROUP_KIND_ASSOCIATION: "association"}


class Group(BaseModel):
    """A class of a school or an association of additional education, for one study year."""

    id: str
    institution_id: str
    study_year_id: str
    name: str
    kind: Kind
    years_of_study: list[int]
    starts: date | None
    ends: date | None


class GroupList(BaseModel):
    """The groups of a study year."""

    items: list[Group]


class Roster(BaseModel):
    """The students of a group on a day."""

    group_id: str
    on: date
    student_ids: list[str]


@router.get(
    "/study-years/{study_year_id}/groups",
    operation_id="list_groups",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def list_groups(study_year_id: Id, gateway: GatewayDep, caller: CurrentCaller) -> GroupList:
    """The groups of a study year."""
    reply = await gateway.groups.ListGroups(pb.ListGroupsRequest(study_year_id=study_year_id))
    return GroupList(items=[_group(g) for g in reply.groups])


def _group(g: pb.Group) -> Group:
    return Group(
        id=g.id,
        institution_id=g.institution_id,
        study_year_id=g.study_year_id,
        name=g.name,
        kind=_KIND_OF.get(g.kind, "class"),
        years_of_study=list(g.years_of_study),
        starts=day(g.starts),
        ends=day(g.ends),
    )


@router.get(
    "/groups/{group_id}/roster",
    operation_id="get_roster",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_roster(
    group_id: Id,
    gateway: GatewayDep,
    caller: CurrentCaller,
    on: Annotated[date | None, Query(description="The day (today when omitted)")] = None,
) -> Roster:
    """The students enrolled in the group on a day."""
    when = on or date.today()
    reply = await gateway.groups.GetRoster(pb.GetRosterRequest(group_id=group_id, on=to_day(when)))
    return Roster(group_id=group_id, on=when, student_ids=list(reply.student_ids))


_KIND: dict[str, pb.GroupKind.ValueType] = {
    "class": pb.GROUP_KIND_CLASS,
    "association": pb.GROUP_KIND_ASSOCIATION,
}


class GroupCreate(BaseModel):
    """A new group of a study year."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100, examples=["7А"])
    kind: Kind
    years_of_study: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=list, max_length=12, description="Years (grades) of study, 1 to 12"
    )
    starts: date | None = Field(default=None, description="The year's first day when omitted")


class Enrolment(BaseModel):
    """A student's membership of a group, from ``joined`` until ``left``."""

    id: str
    group_id: str
    student_id: str
    joined: date | None
    join_reason: str
    left: date | None
    leave_reason: str


class EnrolmentCreate(BaseModel):
    """A student joining the group (R-1.x: the order's reason is kept)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    student_id: str = Field(min_length=1, max_length=36)
    joined: date
    reason: str = Field(default="", max_length=500)


class Leaving(BaseModel):
    """A student leaving the group."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    left: date
    reason: str = Field(default="", max_length=500)


class Transfer(BaseModel):
    """A student moving to another group of the year: one enrolment ends, another starts."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    to_group_id: str = Field(min_length=1, max_length=36)
    on: date
    reason: str = Field(default="", max_length=500)


class Transferred(BaseModel):
    """The enrolment that ended and the one that started."""

    ended: Enrolment
    started: Enrolment


def _enrolment(e: pb.Enrolment) -> Enrolment:
    return Enrolment(
        id=e.id,
        group_id=e.group_id,
        student_id=e.student_id,
        joined=day(e.joined),
        join_reason=e.join_reason,
        left=day(e.left),
        leave_reason=e.leave_reason,
    )


@router.post(
    "/study-years/{study_year_id}/groups",
    status_code=201,
    operation_id="create_group",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def create_group(
    study_year_id: Id,
    body: GroupCreate,
    gateway: GatewayDep,
    caller: CurrentCaller,
    response: Response,
    idempotency_key: IdempotencyKey = "",
) -> Group:
    """Create a class or association of the study year (the deputy)."""
    reply = await gateway.groups.CreateGroup(
        pb.CreateGroupRequest(
            study_year_id=study_year_id,
            name=body.name,
            kind=_KIND[body.kind],
            years_of_study=body.years_of_study,
            starts=to_day(body.starts) if body.starts else None,
            idempotency_key=idempotency_key,
        )
    )
    response.headers["Location"] = f"{router.prefix}/groups/{reply.group.id}/roster"
    return _group(reply.group)


@router.post(
    "/groups/{group_id}/enrolments",
    status_code=201,
    operation_id="enrol_student",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def enrol_student(
    group_id: Id,
    body: EnrolmentCreate,
    gateway: GatewayDep,
    caller: CurrentCaller,
    idempotency_key: IdempotencyKey = "",
) -> Enrolment:
    """Enrol a student in the group from a day."""
    reply = await gateway.groups.Enrol(
        pb.EnrolRequest(
            group_id=group_id,
            student_id=body.student_id,
            joined=to_day(body.joined),
            reason=body.reason,
            idempotency_key=idempotency_key,
        )
    )
    return _enrolment(reply.enrolment)


@router.post(
    "/enrolments/{enrolment_id}/leaving",
    operation_id="leave_group",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def leave_group(
    enrolment_id: Id,
    body: Leaving,
    gateway: GatewayDep,
    caller: CurrentCaller,
    idempotency_key: IdempotencyKey = "",
) -> Enrolment:
    """End a student's enrolment on a day (their past entries stay)."""
    reply = await gateway.groups.Leave(
        pb.LeaveRequest(
            enrolment_id=enrolment_id,
            left=to_day(body.left),
            reason=body.reason,
            idempotency_key=idempotency_key,
        )
    )
    return _enrolment(reply.enrolment)


@router.post(
    "/enrolments/{enrolment_id}/transfer",
    operation_id="transfer_student",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def transfer_student(
    enrolment_id: Id,
    body: Transfer,
    gateway: GatewayDep,
    caller: CurrentCaller,
    idempotency_key: IdempotencyKey = "",
) -> Transferred:
    """Move a student to another group of the year on a day."""
    reply = await gateway.groups.Transfer(
        pb.TransferRequest(
            enrolment_id=enrolment_id,
            to_group_id=body.to_group_id,
            on=to_day(body.on),
            reason=body.reason,
            idempotency_key=idempotency_key,
        )
    )
    return Transferred(ended=_enrolment(reply.ended), started=_enrolment(reply.started))
