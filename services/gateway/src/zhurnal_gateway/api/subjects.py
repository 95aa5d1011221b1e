"""/api/v1 of an institution's subjects and programmes (served by curriculum)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel

from zhurnal.curriculum.v1 import hours_pb2 as pb
from zhurnal_gateway.api.deps import CurrentCaller, GatewayDep
from zhurnal_gateway.api.problems import error_responses
from zhurnal_gateway.bootstrap import Gateway

router = APIRouter(prefix="/api/v1", tags=["subjects"])

Kind = Literal["subject", "programme"]


class Subject(BaseModel):
    """A school subject, or a programme of additional education."""

    id: str
    name: str
    kind: Kind


class SubjectList(BaseModel):
    """An institution's subjects by name."""

    items: list[Subject]


async def subject_names(gateway: Gateway, institution_id: str) -> dict[str, str]:
    """Subject id -> name of an institution (pages name their lessons' subjects with it)."""
    reply = await gateway.hours.ListSubjects(pb.ListSubjectsRequest(institution_id=institution_id))
    return {s.id: s.name for s in reply.subjects}


@router.get(
    "/institutions/{institution_id}/subjects",
    operation_id="list_subjects",
    responses=error_responses(401, 403, 422, 503),
)
async def list_subjects(
    institution_id: Annotated[str, Path(min_length=1, max_length=36)],
    gateway: GatewayDep,
    caller: CurrentCaller,
) -> SubjectList:
    """The institution's subjects and programmes (anyone who may read the institution)."""
    reply = await gateway.hours.ListSubjects(pb.ListSubjectsRequest(institution_id=institution_id))
    return SubjectList(
        items=[
            Subject(
                id=s.id,
                name=s.name,
                kind="programme" if s.kind == pb.SUBJECT_KIND_PROGRAMME else "subject",
            )
            for s in reply.subjects
        ]
    )
