"""gRPC face of the marking scheme, the journal's settings and period locks (thin)."""

from __future__ import annotations

import grpc

from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal.journal.v1 import journal_pb2_grpc
from zhurnal_journal.adapters import journal_protos as protos
from zhurnal_journal.adapters.marking_repository import InstitutionSettings
from zhurnal_journal.bootstrap import Journal
from zhurnal_journal.entrypoints.journal_servicer import client_of, now
from zhurnal_journal.service_layer import locks, marking


class MarkingServicer(journal_pb2_grpc.MarkingServiceServicer):
    """MarkingService."""

    def __init__(self, app: Journal) -> None:
        self._app = app

    async def ListMarkScales(
        self, request: pb.ListMarkScalesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMarkScalesResponse:
        scales = await marking.list_scales(
            self._app.uow(), self._app.authorizer, request.institution_id
        )
        return pb.ListMarkScalesResponse(scales=[protos.scale_to_proto(s) for s in scales])

    async def SaveMarkScale(
        self, request: pb.SaveMarkScaleRequest, context: grpc.aio.ServicerContext
    ) -> pb.SaveMarkScaleResponse:
        scale = await marking.save_scale(
            self._app.uow(),
            self._app.authorizer,
            protos.scale_from_proto(request.scale),
            client=client_of(context),
            now=now(),
        )
        return pb.SaveMarkScaleResponse(scale=protos.scale_to_proto(scale))

    async def ListMarkTypes(
        self, request: pb.ListMarkTypesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMarkTypesResponse:
        types = await marking.list_types(
            self._app.uow(), self._app.authorizer, request.institution_id
        )
        return pb.ListMarkTypesResponse(types=[protos.mark_type_to_proto(t) for t in types])

    async def SaveMarkType(
        self, request: pb.SaveMarkTypeRequest, context: grpc.aio.ServicerContext
    ) -> pb.SaveMarkTypeResponse:
        item = await marking.save_type(
            self._app.uow(),
            self._app.authorizer,
            protos.mark_type_from_proto(request.type),
            client=client_of(context),
            now=now(),
        )
        return pb.SaveMarkTypeResponse(type=protos.mark_type_to_proto(item))

    async def GetJournalSettings(
        self, request: pb.GetJournalSettingsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetJournalSettingsResponse:
        item = await marking.get_settings(
            self._app.uow(), self._app.authorizer, request.institution_id
        )
        return pb.GetJournalSettingsResponse(settings=protos.settings_to_proto(item))

    async def UpdateJournalSettings(
        self, request: pb.UpdateJournalSettingsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateJournalSettingsResponse:
        s = request.settings
        item = await marking.update_settings(
            self._app.uow(),
            self._app.authorizer,
            InstitutionSettings(
                s.institution_id,
                "",
                s.colleagues_may_fill_in,
                s.warn_topic_not_in_russian,
                s.unlock_hours,
            ),
            client=client_of(context),
            now=now(),
        )
        return pb.UpdateJournalSettingsResponse(settings=protos.settings_to_proto(item))


class PeriodLockServicer(journal_pb2_grpc.PeriodLockServiceServicer):
    """PeriodLockService."""

    def __init__(self, app: Journal) -> None:
        self._app = app

    async def UnlockPeriod(
        self, request: pb.UnlockPeriodRequest, context: grpc.aio.ServicerContext
    ) -> pb.UnlockPeriodResponse:
        unlock = await locks.unlock_period(
            self._app.uow(),
            self._app.authorizer,
            locks.UnlockPeriod(
                request.period_id,
                request.reason,
                request.hours,
                request.idempotency_key,
                client_of(context),
            ),
            now(),
        )
        return pb.UnlockPeriodResponse(unlock=protos.unlock_to_proto(unlock))

    async def ListPeriodLocks(
        self, request: pb.ListPeriodLocksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListPeriodLocksResponse:
        views = await locks.list_locks(
            self._app.uow(),
            self._app.authorizer,
            request.institution_id,
            request.study_year_id,
            now(),
        )
        return pb.ListPeriodLocksResponse(
            periods=[
                pb.PeriodLock(
                    period=protos.period_to_proto(v.period),
                    study_year_id=v.period.study_year_id,
                    locked=v.locked,
                    unlocks=[protos.unlock_to_proto(u) for u in v.unlocks],
                )
                for v in views
            ]
        )
