"""Repository of the plan tables (adapters/tables.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_curriculum.adapters.tables import group, lesson_plan, plan_topic, subject
from zhurnal_curriculum.domain.plans import LessonKind, LessonPlan, PlanStatus, PlanTopic


@dataclass(frozen=True)
class StoredPlan:
    """A plan as stored: the domain plan and the version writers must give back."""

    plan: LessonPlan
    version: int


def _plan(row: Any, topics: Sequence[PlanTopic]) -> StoredPlan:
    return StoredPlan(
        LessonPlan(
            id=row.id,
            group_id=row.group_id,
            subject_id=row.subject_id,
            teacher_id=row.teacher_id,
            study_year_id=row.study_year_id,
            status=PlanStatus(row.status),
            topics=tuple(topics),
            approved_by=row.approved_by,
            approved_at=row.approved_at,
            copied_from=row.copied_from,
        ),
        row.version,
    )


def _topic(row: Any) -> PlanTopic:
    return PlanTopic(row.position, row.text, row.hours, LessonKind(row.kind))


class PlanRepository:
    """Plan storage bound to one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _one(self, query: Select[Any], for_update: bool) -> StoredPlan | None:
        if for_update:
            # Writers of one plan queue here, so none saves over a version it did not see.
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        return _plan(row, (await self._topics([row.id]))[row.id])

    async def get(self, plan_id: str, *, for_update: bool = False) -> StoredPlan | None:
        """One plan with its topics; ``for_update`` locks it until the transaction ends."""
        return await self._one(select(lesson_plan).where(lesson_plan.c.id == plan_id), for_update)

    async def find(
        self, study_year_id: str, group_id: str, subject_id: str, *, for_update: bool = False
    ) -> StoredPlan | None:
        """The plan of a group's subject in a study year (there is at most one)."""
        return await self._one(
            select(lesson_plan).where(
                lesson_plan.c.study_year_id == study_year_id,
                lesson_plan.c.group_id == group_id,
                lesson_plan.c.subject_id == subject_id,
            ),
            for_update,
        )

    async def of_year(self, study_year_id: str, group_id: str = "") -> list[StoredPlan]:
        """The plans of a study year (of one group when given), by group and subject name."""
        query = (
            select(lesson_plan)
            .join(group, group.c.id == lesson_plan.c.group_id)
            .join(subject, subject.c.id == lesson_plan.c.subject_id)
            .where(lesson_plan.c.study_year_id == study_year_id)
        )
        if group_id:
            query = query.where(lesson_plan.c.group_id == group_id)
        rows = (await self._session.execute(query.order_by(group.c.name, subject.c.name))).all()
        topics = await self._topics([r.id for r in rows])
        return [_plan(r, topics[r.id]) for r in rows]

    async def _topics(self, plan_ids: list[str]) -> dict[str, list[PlanTopic]]:
        found: dict[str, list[PlanTopic]] = defaultdict(list)
        if plan_ids:
            rows = (
                await self._session.execute(
                    select(plan_topic)
                    .where(plan_topic.c.plan_id.in_(plan_ids))
                    .order_by(plan_topic.c.plan_id, plan_topic.c.position)
                )
            ).all()
            for r in rows:
                found[r.plan_id].append(_topic(r))
        return found

    async def add(self, plan: LessonPlan, *, institution_id: str) -> StoredPlan:
        """Stage a new plan at version 1 (a second plan of the same group's subject fails on
        commit with IntegrityError)."""
        await self._session.execute(
            lesson_plan.insert().values(
                id=plan.id,
                study_year_id=plan.study_year_id,
                institution_id=institution_id,
                version=1,
                **self._values(plan),
            )
        )
        await self._write_topics(plan)
        return StoredPlan(plan, 1)

    async def save(self, plan: LessonPlan, *, version: int) -> StoredPlan:
        """Write a changed plan back (its topics replaced) as ``version``."""
        await self._session.execute(
            lesson_plan.update()
            .where(lesson_plan.c.id == plan.id)
            .values(version=version, updated_at=func.now(), **self._values(plan))
        )
        await self._session.execute(plan_topic.delete().where(plan_topic.c.plan_id == plan.id))
        await self._write_topics(plan)
        return StoredPlan(plan, version)

    @staticmethod
    def _values(plan: LessonPlan) -> dict[str, Any]:
        return {
            "group_id": plan.group_id,
            "subject_id": plan.subject_id,
            "teacher_id": plan.teacher_id,
            "status": plan.status.value,
            "approved_by": plan.approved_by,
            "approved_at": plan.approved_at,
            "copied_from": plan.copied_from,
        }

    async def _write_topics(self, plan: LessonPlan) -> None:
        if plan.topics:
            await self._session.execute(
                plan_topic.insert(),
                [
                    {
                        "plan_id": plan.id,
                        "position": t.order,
                        "text": t.text,
                        "hours": t.hours,
                        "kind": t.kind.value,
                    }
                    for t in plan.topics
                ],
            )

    # --- the dated lessons (written by the timetable) --------------------------------------
