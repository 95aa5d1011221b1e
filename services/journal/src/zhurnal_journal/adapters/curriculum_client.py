"""Curriculum's lesson plan, asked for the planned topic of a lesson (the default offered)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc

from zhurnal.curriculum.v1 import plans_pb2, plans_pb2_grpc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedTopic:
    """The plan's topic of one lesson."""

    text: str
    kind: int


class PlannedTopics:
    """A client of curriculum's PlanService.GetPlannedTopic."""

    def __init__(self, channel: grpc.aio.Channel, *, timeout_s: float = 2.0) -> None:
        self._plans = plans_pb2_grpc.PlanServiceStub(channel)
        self._timeout = timeout_s

    async def of(self, lesson_id: str) -> PlannedTopic | None:
        """The planned topic, or None when there is none or curriculum does not answer.

        A suggestion only: the lesson form still works without it, so a failure is logged and
        swallowed.
        """
        try:
            reply = await self._plans.GetPlannedTopic(
                plans_pb2.GetPlannedTopicRequest(lesson_id=lesson_id), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            log.warning(
                "no planned topic",
                extra={"lesson_id": lesson_id, "code": error.code().name},
            )
            return None
        if not reply.found:
            return None
        return PlannedTopic(reply.topic.text, reply.topic.kind)
