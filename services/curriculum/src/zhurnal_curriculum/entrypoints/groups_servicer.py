"""gRPC face of the group and enrolment use cases (thin)."""

from __future__ import annotations

from typing import Any

from zhurnal.curriculum.v1 import groups_pb2 as pb
from zhurnal.curriculum.v1 import groups_pb2_grpc
from zhurnal_curriculum.adapters.protos import (
    GROUP_KIND_FROM_PROTO,
    enrolment_to_proto,
    from_day,
    group_to_proto,
)
from zhurnal_curriculum.bootstrap import Curriculum
from zhurnal_curriculum.service_layer import groups

Context = Any  # grpc.aio.ServicerContext: unused by these handlers


class GroupServicer(groups_pb2_grpc.GroupServiceServicer):
    """GroupService."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app

    async def CreateGroup(
        self, request: pb.CreateGroupRequest, context: Context
    ) -> pb.CreateGroupResponse:
        item = await groups.create_group(
            self._app.uow(),
            self._app.authorizer,
            study_year_id=request.study_year_id,
            name=request.name,
            kind=GROUP_KIND_FROM_PROTO.get(request.kind),
            years_of_study=frozenset(request.years_of_study),
            starts=from_day(request.starts, "starts") if request.starts.iso else None,
            idempotency_key=request.idempotency_key,
        )
        return pb.CreateGroupResponse(group=group_to_proto(item))

    async def ListGroups(
        self, request: pb.ListGroupsRequest, context: Context
    ) -> pb.ListGroupsResponse:
        found = await groups.list_groups(
            self._app.uow(), self._app.authorizer, request.study_year_id
        )
        return pb.ListGroupsResponse(groups=[group_to_proto(g) for g in found])

    async def Enrol(self, request: pb.EnrolRequest, context: Context) -> pb.EnrolResponse:
        item = await groups.enrol(
            self._app.uow(),
            self._app.authorizer,
            group_id=request.group_id,
            student_id=request.student_id,
            joined=from_day(request.joined, "joined"),
            reason=request.reason,
            idempotency_key=request.idempotency_key,
        )
        return pb.EnrolResponse(enrolment=enrolment_to_proto(item))

    async def Leave(self, request: pb.LeaveRequest, context: Context) -> pb.LeaveResponse:
        item = await groups.leave(
            self._app.uow(),
            self._app.authorizer,
            enrolment_id=request.enrolment_id,
            left=from_day(request.left, "left"),
            reason=request.reason,
            idempotency_key=request.idempotency_key,
        )
        return pb.LeaveResponse(enrolment=enrolment_to_proto(item))

    async def Transfer(self, request: pb.TransferRequest, context: Context) -> pb.TransferResponse:
        ended, started = await groups.transfer(
            self._app.uow(),
            self._app.authorizer,
            enrolment_id=request.enrolment_id,
            to_group_id=request.to_group_id,
            on=from_day(request.on, "on"),
            reason=request.reason,
            idempotency_key=request.idempotency_key,
        )
        return pb.TransferResponse(
            ended=enrolment_to_proto(ended), started=enrolment_to_proto(started)
        )

    async def GetRoster(
        self, request: pb.GetRosterRequest, context: Context
    ) -> pb.GetRosterResponse:
        students = await groups.roster(
            self._app.uow(),
            self._app.authorizer,
            group_id=request.group_id,
            on=from_day(request.on, "on"),
        )
        return pb.GetRosterResponse(student_ids=students)
