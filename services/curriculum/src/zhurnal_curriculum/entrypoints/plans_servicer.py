"""gRPC face of the lesson-plan use cases (thin)."""

from __future__ import annotations

from typing import Any

from zhurnal.curriculum.v1 import plans_pb2 as pb
from zhurnal.curriculum.v1 import plans_pb2_grpc
from zhurnal_curriculum.adapters.plan_protos import (
    FORMATS,
    import_problem_to_proto,
    plan_to_proto,
    problem_to_proto,
    topic_to_proto,
    topics_from_proto,
)
from zhurnal_curriculum.bootstrap import Curriculum
from zhurnal_curriculum.service_layer import plans
from zhurnal_curriculum.service_layer.plans import PlanView, WritePlan

Context = Any  # grpc.aio.ServicerContext: unused by these handlers


def _plan(view: PlanView, *, with_topics: bool = True) -> pb.LessonPlan:
    return plan_to_proto(
        view.plan,
        version=view.version,
        curriculum_hours=view.curriculum_hours,
        with_topics=with_topics,
    )


class PlanServicer(plans_pb2_grpc.PlanServiceServicer):
    """PlanService."""

    def __init__(self, app: Curriculum) -> None:
        self._app = app

    async def SavePlan(self, request: pb.SavePlanRequest, context: Context) -> pb.SavePlanResponse:
        view = await plans.save_plan(
            self._app.uow(),
            self._app.authorizer,
            WritePlan(
                request.study_year_id,
                request.group_id,
                request.subject_id,
                request.teacher_id,
                request.expected_version,
            ),
            topics_from_proto(request.topics),
        )
        return pb.SavePlanResponse(
            plan=_plan(view), problems=[problem_to_proto(p) for p in view.problems]
        )

    async def ImportPlan(
        self, request: pb.ImportPlanRequest, context: Context
    ) -> pb.ImportPlanResponse:
        result = await plans.import_plan(
            self._app.uow(),
            self._app.authorizer,
            WritePlan(
                request.study_year_id,
                request.group_id,
                request.subject_id,
                request.teacher_id,
                request.expected_version,
            ),
            fmt=FORMATS.get(request.format),
            content=request.content,
            dry_run=request.dry_run,
        )
        parsed = result.parsed
        return pb.ImportPlanResponse(
            problems=[import_problem_to_proto(p) for p in parsed.problems],
            warnings=[import_problem_to_proto(p) for p in parsed.warnings],
            topics=[topic_to_proto(t) for t in parsed.topics],
            total_hours=parsed.total_hours,
            plan=_plan(result.saved) if result.saved else None,
            plan_problems=[problem_to_proto(p) for p in result.plan_problems],
        )

    async def CopyPlan(self, request: pb.CopyPlanRequest, context: Context) -> pb.CopyPlanResponse:
        view = await plans.copy_plan(
            self._app.uow(),
            self._app.authorizer,
            from_plan_id=request.from_plan_id,
            to_study_year_id=request.to_study_year_id,
            to_group_id=request.to_group_id,
            teacher_id=request.teacher_id,
        )
        return pb.CopyPlanResponse(
            plan=_plan(view), problems=[problem_to_proto(p) for p in view.problems]
        )

    async def ApprovePlan(
        self, request: pb.ApprovePlanRequest, context: Context
    ) -> pb.ApprovePlanResponse:
        view = await plans.approve_plan(
            self._app.uow(),
            self._app.authorizer,
            self._app.authorizer.person_id,
            plan_id=request.plan_id,
            expected_version=request.expected_version,
        )
        return pb.ApprovePlanResponse(plan=_plan(view))

    async def GetPlan(self, request: pb.GetPlanRequest, context: Context) -> pb.GetPlanResponse:
        report = await plans.get_plan(
            self._app.uow(),
            self._app.authorizer,
            plan_id=request.plan_id,
            study_year_id=request.study_year_id,
            group_id=request.group_id,
            subject_id=request.subject_id,
        )
        return pb.GetPlanResponse(
            plan=_plan(report.view),
            problems=[problem_to_proto(p) for p in report.view.problems],
            lessons=report.lessons,
            topics_without_lessons=report.topics_without_lessons,
        )

    async def ListPlans(
        self, request: pb.ListPlansRequest, context: Context
    ) -> pb.ListPlansResponse:
        views = await plans.list_plans(
            self._app.uow(),
            self._app.authorizer,
            study_year_id=request.study_year_id,
            group_id=request.group_id,
        )
        return pb.ListPlansResponse(plans=[_plan(v, with_topics=False) for v in views])

    async def GetPlannedTopic(
        self, request: pb.GetPlannedTopicRequest, context: Context
    ) -> pb.GetPlannedTopicResponse:
        found = await plans.planned_topic(self._app.uow(), self._app.authorizer, request.lesson_id)
        return pb.GetPlannedTopicResponse(
            found=found.topic is not None,
            topic=topic_to_proto(found.topic) if found.topic else None,
            plan_id=found.plan.id if found.plan else "",
            plan_approved=found.plan.approved if found.plan else False,
        )
