"""Translation between lesson plans (domain/plans.py) and their proto contract (plans.proto)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from zhurnal.curriculum.v1 import events_pb2
from zhurnal.curriculum.v1 import plans_pb2 as pb
from zhurnal_curriculum.domain.plans import (
    ImportProblem,
    LessonKind,
    LessonPlan,
    PlanProblem,
    PlanStatus,
    PlanTopic,
)
from zhurnal_kit.errors import FieldViolation, InvalidArgument

KIND_TO_PROTO = {
    LessonKind.LESSON: pb.LESSON_KIND_LESSON,
    LessonKind.PRACTICAL: pb.LESSON_KIND_PRACTICAL,
    LessonKind.EXCURSION: pb.LESSON_KIND_EXCURSION,
    LessonKind.COMPETITION: pb.LESSON_KIND_COMPETITION,
    LessonKind.OTHER: pb.LESSON_KIND_OTHER,
}
# The contract reads an unspecified kind as a lesson.
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()} | {
    pb.LESSON_KIND_UNSPECIFIED: LessonKind.LESSON
}
STATUS_TO_PROTO = {
    PlanStatus.DRAFT: pb.PLAN_STATUS_DRAFT,
    PlanStatus.APPROVED: pb.PLAN_STATUS_APPROVED,
}
FORMATS: dict[int, Literal["csv", "xlsx"]] = {
    pb.FILE_FORMAT_CSV: "csv",
    pb.FILE_FORMAT_XLSX: "xlsx",
}


def topics_from_proto(items: Iterable[pb.PlanTopic], field: str = "topics") -> list[PlanTopic]:
    """Domain topics; a kind the contract does not know names ``topics[i].kind``.

    The rest (numbering, text, hours) is checked by the domain, naming the same fields.
    """
    topics, problems = [], []
    for i, item in enumerate(items):
        kind = KIND_FROM_PROTO.get(item.kind)
        if kind is None:
            problems.append(FieldViolation(f"{field}[{i}].kind", "is not a lesson kind"))
            continue
        topics.append(PlanTopic(item.order, item.text, item.hours, kind))
    if problems:
        raise InvalidArgument("the plan is not valid", problems)
    return topics


def topic_to_proto(topic: PlanTopic) -> pb.PlanTopic:
    """The contract's view of a topic."""
    return pb.PlanTopic(
        order=topic.order, text=topic.text, hours=topic.hours, kind=KIND_TO_PROTO[topic.kind]
    )


def plan_to_proto(
    plan: LessonPlan, *, version: int, curriculum_hours: int | None, with_topics: bool = True
) -> pb.LessonPlan:
    """The contract's view of a plan (ListPlans leaves the topics out)."""
    return pb.LessonPlan(
        id=plan.id,
        study_year_id=plan.study_year_id,
        group_id=plan.group_id,
        subject_id=plan.subject_id,
        teacher_id=plan.teacher_id,
        status=STATUS_TO_PROTO[plan.status],
        topics=[topic_to_proto(t) for t in plan.topics] if with_topics else [],
        total_hours=plan.total_hours,
        curriculum_hours=curriculum_hours,
        approved_by=plan.approved_by,
        approved_at=plan.approved_at.isoformat() if plan.approved_at else "",
        copied_from=plan.copied_from or "",
        version=version,
    )


def problem_to_proto(problem: PlanProblem) -> pb.PlanProblem:
    """The contract's view of what is off with a plan."""
    return pb.PlanProblem(
        kind=problem.kind.value,
        severity=problem.severity.value,
        message=problem.message,
        topic_order=problem.topic_order or 0,
        expected=problem.expected or 0,
        actual=problem.actual or 0,
    )


def import_problem_to_proto(problem: ImportProblem) -> pb.ImportProblem:
    """The contract's view of a bad row of an imported file."""
    return pb.ImportProblem(line=problem.line, column=problem.column, reason=problem.reason)


def plan_approved(plan: LessonPlan) -> events_pb2.PlanApproved:
    """The event of an approved plan."""
    return events_pb2.PlanApproved(
        plan_id=plan.id,
        study_year_id=plan.study_year_id,
        group_id=plan.group_id,
        subject_id=plan.subject_id,
        teacher_id=plan.teacher_id,
        approved_by=plan.approved_by,
        total_hours=plan.total_hours,
        topics=len(plan.topics),
    )
