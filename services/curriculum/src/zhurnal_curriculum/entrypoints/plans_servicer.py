"""gRPC face of the lesson-plan use cases (thin)."""

from __future__ import annotations

from zhurnal.curriculum.v1 import plans_pb2_grpc
from zhurnal_curriculum.bootstrap import Curriculum


class PlanServicer(plans_pb2_grpc.PlanServiceServicer):
    """PlanService."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app
