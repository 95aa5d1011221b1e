"""The curriculum gRPC server (thin)."""

from __future__ import annotations

import grpc

from zhurnal.curriculum.v1 import (
    calendar_pb2,
    calendar_pb2_grpc,
    curriculum_pb2_grpc,
    groups_pb2,
    groups_pb2_grpc,
    hours_pb2,
    hours_pb2_grpc,
    opening_pb2,
    opening_pb2_grpc,
    plans_pb2,
    plans_pb2_grpc,
    timetable_pb2,
    timetable_pb2_grpc,
)
from zhurnal.curriculum.v1 import curriculum_pb2 as pb
from zhurnal_curriculum.bootstrap import Curriculum, bootstrap
from zhurnal_curriculum.config import CurriculumSettings
from zhurnal_curriculum.entrypoints.calendar_servicer import CalendarServicer
from zhurnal_curriculum.entrypoints.groups_servicer import GroupServicer
from zhurnal_curriculum.entrypoints.hours_servicer import HoursServicer
from zhurnal_curriculum.entrypoints.opening_servicer import YearOpeningServicer
from zhurnal_curriculum.entrypoints.plans_servicer import PlanServicer
from zhurnal_curriculum.entrypoints.timetable_servicer import TimetableServicer
from zhurnal_curriculum.service_layer import handlers
from zhurnal_kit import runtime


class CurriculumServicer(curriculum_pb2_grpc.CurriculumServiceServicer):
    """gRPC face of the curriculum use cases."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app

    async def GetInstitutionCalendar(
        self, request: pb.GetInstitutionCalendarRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetInstitutionCalendarResponse:
        item = await handlers.get_institution_calendar(
            self._app.uow(), self._app.authorizer, request.institution_id
        )
        return pb.GetInstitutionCalendarResponse(
            institution_id=item.institution_id, code=item.code, time_zone=item.time_zone
        )


async def serve(settings: CurriculumSettings) -> None:
    """Migrate, then serve until signalled."""
    app = bootstrap(settings)
    await runtime.serve_grpc(
        settings,
        "zhurnal_curriculum",
        registrars=[
            lambda s: curriculum_pb2_grpc.add_CurriculumServiceServicer_to_server(
                CurriculumServicer(app), s
            ),
            lambda s: calendar_pb2_grpc.add_CalendarServiceServicer_to_server(
                CalendarServicer(app), s
            ),
            lambda s: groups_pb2_grpc.add_GroupServiceServicer_to_server(GroupServicer(app), s),
            lambda s: hours_pb2_grpc.add_HoursServiceServicer_to_server(HoursServicer(app), s),
            lambda s: plans_pb2_grpc.add_PlanServiceServicer_to_server(PlanServicer(app), s),
            lambda s: timetable_pb2_grpc.add_TimetableServiceServicer_to_server(
                TimetableServicer(app), s
            ),
            lambda s: opening_pb2_grpc.add_YearOpeningServiceServicer_to_server(
                YearOpeningServicer(app), s
            ),
        ],
        service_names=[
            pb.DESCRIPTOR.services_by_name["CurriculumService"].full_name,
            calendar_pb2.DESCRIPTOR.services_by_name["CalendarService"].full_name,
            groups_pb2.DESCRIPTOR.services_by_name["GroupService"].full_name,
            hours_pb2.DESCRIPTOR.services_by_name["HoursService"].full_name,
            plans_pb2.DESCRIPTOR.services_by_name["PlanService"].full_name,
            timetable_pb2.DESCRIPTOR.services_by_name["TimetableService"].full_name,
            opening_pb2.DESCRIPTOR.services_by_name["YearOpeningService"].full_name,
        ],
        verifier=app.verifier,
        on_close=app.close,
    )


def main() -> None:
    """Entry point: ``python -m zhurnal_curriculum.entrypoints.grpc_server``."""
    settings = CurriculumSettings()
    runtime.run(lambda: serve(settings), settings)


if __name__ == "__main__":
    main()
