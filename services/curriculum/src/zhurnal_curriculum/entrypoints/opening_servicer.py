"""gRPC face of the year-opening use cases (thin)."""

from __future__ import annotations

from typing import Any

from zhurnal.curriculum.v1 import opening_pb2 as pb
from zhurnal.curriculum.v1 import opening_pb2_grpc
from zhurnal_curriculum.adapters.opening_protos import (
    checklist_to_proto,
    override_from_proto,
    promotion_to_proto,
)
from zhurnal_curriculum.bootstrap import Curriculum
from zhurnal_curriculum.domain.opening import FINAL_YEAR
from zhurnal_curriculum.service_layer import opening

Context = Any  # grpc.aio.ServicerContext: unused by these handlers


class YearOpeningServicer(opening_pb2_grpc.YearOpeningServiceServicer):
    """YearOpeningService."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app

    async def PromoteGroups(
        self, request: pb.PromoteGroupsRequest, context: Context
    ) -> pb.PromoteGroupsResponse:
        result = await opening.promote_groups(
            self._app.uow(),
            self._app.authorizer,
            opening.PromoteGroups(
                from_study_year_id=request.from_study_year_id,
                to_study_year_id=request.to_study_year_id,
                promotions=[override_from_proto(p) for p in request.promotions],
                carry_students=request.carry_students,
                final_year=request.final_year or FINAL_YEAR,
                dry_run=request.dry_run,
            ),
        )
        return promotion_to_proto(result)

    async def GetOpeningChecklist(
        self, request: pb.GetOpeningChecklistRequest, context: Context
    ) -> pb.GetOpeningChecklistResponse:
        found = await opening.opening_checklist(
            self._app.uow(), self._app.authorizer, request.study_year_id
        )
        return checklist_to_proto(found)
