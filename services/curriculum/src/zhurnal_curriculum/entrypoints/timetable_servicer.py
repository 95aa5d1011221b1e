"""gRPC face of the timetable use cases (thin)."""

from __future__ import annotations

from zhurnal.curriculum.v1 import timetable_pb2_grpc
from zhurnal_curriculum.bootstrap import Curriculum


class TimetableServicer(timetable_pb2_grpc.TimetableServiceServicer):
    """TimetableService."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app
