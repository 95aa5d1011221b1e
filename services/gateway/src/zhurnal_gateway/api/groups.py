"""/api/v1 of groups (served by curriculum): a study year's groups and a group's roster."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from zhurnal.curriculum.v1 import groups_pb2 as pb
from zhurnal_gateway.api.convert import day, to_day
from zhurnal_gateway.api.deps import CurrentCaller, GatewayDep
from zhurnal_gateway.api.problems import error_responses

router = APIRouter(prefix="/api/v1", tags=["groups"])

Id = Annotated[str, Path(min_length=1, max_length=36)]
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
    return GroupList(
        items=[
            Group(
                id=g.id,
                institution_id=g.institution_id,
                study_year_id=g.study_year_id,
                name=g.name,
                kind=_KIND_OF.get(g.kind, "class"),
                years_of_study=list(g.years_of_study),
                starts=day(g.starts),
                ends=day(g.ends),
            )
            for g in reply.groups
        ]
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
