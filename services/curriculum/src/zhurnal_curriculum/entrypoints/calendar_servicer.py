"""gRPC face of the study-year use cases (thin)."""

from __future__ import annotations

from typing import Any

from zhurnal.curriculum.v1 import calendar_pb2 as pb
from zhurnal.curriculum.v1 import calendar_pb2_grpc
from zhurnal_curriculum.adapters.protos import from_day, period_to_proto, year_to_proto
from zhurnal_curriculum.bootstrap import Curriculum
from zhurnal_curriculum.service_layer import calendar

Context = Any  # grpc.aio.ServicerContext: unused by these handlers


class CalendarServicer(calendar_pb2_grpc.CalendarServiceServicer):
    """CalendarService."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app

    async def CreateStudyYear(
        self, request: pb.CreateStudyYearRequest, context: Context
    ) -> pb.CreateStudyYearResponse:
        year = await calendar.create_study_year(
            self._app.uow(),
            self._app.authorizer,
            calendar.CreateStudyYear(
                institution_id=request.institution_id,
                name=request.name,
                starts=from_day(request.starts, "starts"),
                ends=from_day(request.ends, "ends"),
                working_days=frozenset(request.working_days),
                idempotency_key=request.idempotency_key,
            ),
        )
        return pb.CreateStudyYearResponse(study_year=year_to_proto(year))

    async def AddStudyPeriod(
        self, request: pb.AddStudyPeriodRequest, context: Context
    ) -> pb.AddStudyPeriodResponse:
        year, period = await calendar.add_period(
            self._app.uow(),
            self._app.authorizer,
            year_id=request.study_year_id,
            name=request.name,
            starts=from_day(request.starts, "starts"),
            ends=from_day(request.ends, "ends"),
        )
        return pb.AddStudyPeriodResponse(
            study_year=year_to_proto(year), period=period_to_proto(period)
        )

    async def AddHoliday(
        self, request: pb.AddHolidayRequest, context: Context
    ) -> pb.AddHolidayResponse:
        year = await calendar.add_holiday(
            self._app.uow(),
            self._app.authorizer,
            year_id=request.study_year_id,
            starts=from_day(request.starts, "starts"),
            ends=from_day(request.ends, "ends"),
            name=request.name,
        )
        return pb.AddHolidayResponse(study_year=year_to_proto(year))

    async def ClosePeriod(
        self, request: pb.ClosePeriodRequest, context: Context
    ) -> pb.ClosePeriodResponse:
        period = await calendar.close_period(
            self._app.uow(),
            self._app.authorizer,
            year_id=request.study_year_id,
            period_id=request.period_id,
        )
        return pb.ClosePeriodResponse(period=period_to_proto(period))

    async def OpenPeriod(
        self, request: pb.OpenPeriodRequest, context: Context
    ) -> pb.OpenPeriodResponse:
        period = await calendar.open_period(
            self._app.uow(),
            self._app.authorizer,
            year_id=request.study_year_id,
            period_id=request.period_id,
            reason=request.reason,
        )
        return pb.OpenPeriodResponse(period=period_to_proto(period))

    async def GetStudyYear(
        self, request: pb.GetStudyYearRequest, context: Context
    ) -> pb.GetStudyYearResponse:
        year = await calendar.get_study_year(self._app.uow(), self._app.authorizer, request.id)
        return pb.GetStudyYearResponse(study_year=year_to_proto(year))
