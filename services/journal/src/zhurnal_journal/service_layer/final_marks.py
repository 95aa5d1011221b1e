"""Period and year final marks (R-1.3): the weighted average suggested, never imposed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from zhurnal.journal.v1 import events_pb2
from zhurnal_journal.adapters import journal_protos as protos
from zhurnal_journal.adapters.marking_repository import FinalMarkRow
from zhurnal_journal.domain.history import Change, ChangeAction
from zhurnal_journal.domain.locks import Period
from zhurnal_journal.domain.marking import MarkScale, scale_for, weighted_averages
from zhurnal_journal.service_layer.access import (
    DIARY_READ,
    JOURNAL_READ,
    JOURNAL_WRITE,
    require_lessons,
)
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    invalid,
)
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import recall, remember


@dataclass(frozen=True)
class Target:
    """Whose final marks: a group in a subject, for a period or (no period) the year."""

    group_id: str
    subject_id: str
    period_id: str = ""
    study_year_id: str = ""


@dataclass(frozen=True)
class Span:
    """The resolved target: its days, institution, year and periods (for the lock)."""

    institution_id: str
    study_year_id: str
    starts: date
    ends: date
    periods: list[Period]


async def _span(uow: JournalUnitOfWork, target: Target) -> Span:
    if not target.group_id:
        raise invalid("group_id", "is required")
    if not target.subject_id:
        raise invalid("subject_id", "is required")
    if target.period_id:
        found = await uow.lessons.period(target.period_id)
        if found is None:
            raise NotFound(
                f"the journal knows no study period {target.period_id!r}",
                [FieldViolation("period_id", "is not a study period")],
            )
        period, institution_id = found
        return Span(institution_id, period.study_year_id, period.starts, period.ends, [period])
    if not target.study_year_id:
        raise invalid("study_year_id", "is required for a year's final marks (no period_id)")
    span = await uow.lessons.year_span(target.study_year_id)
    if span is None:
        raise NotFound(
            f"the journal knows no study year {target.study_year_id!r}",
            [FieldViolation("study_year_id", "has no periods")],
        )
    periods = [p for p in await uow.lessons.periods_of_year(target.study_year_id)]
    institution_id = await uow.lessons.year_institution(target.study_year_id)
    return Span(institution_id, target.study_year_id, span[0], span[1], periods)


async def _authorize(
    uow: JournalUnitOfWork, authorizer: Authorizer, action: str, target: Target, span: Span
) -> None:
    teachers = await uow.lessons.teachers(
        target.group_id, span.starts, span.ends, target.subject_id
    )
    if not teachers:
        raise NotFound(
            "the group has no lessons of that subject in that time",
            [FieldViolation("subject_id", "is not taught to the group then")],
        )
    await require_lessons(
        uow, authorizer, action, institution_id=span.institution_id, teacher_ids=teachers
    )


@dataclass(frozen=True)
class Suggestion:
    """A student's average and the scale's nearest final value."""

    student_id: str
    average: float
    marks: int
    suggested: str
    current: str


async def suggest(
    uow: JournalUnitOfWork, authorizer: Authorizer, target: Target
) -> tuple[list[Suggestion], MarkScale]:
    """The weighted average of each enrolled student's marks and the value nearest to it."""
    async with uow:
        span = await _span(uow, target)
        await _authorize(uow, authorizer, JOURNAL_READ, target, span)
        scheme = await uow.marking.scheme(span.institution_id)
        scale = scale_for(scheme.scales, target.subject_id)
        averages = weighted_averages(
            await uow.lessons.scored_marks(
                target.group_id, target.subject_id, span.starts, span.ends
            )
        )
        students = sorted(
            {
                r["student_id"]
                for r in await uow.lessons.enrolments(target.group_id, span.starts, span.ends)
            }
        )
        current = {
            m.student_id: m.value
            for m in await uow.marking.final_marks(
                group_id=target.group_id,
                subject_id=target.subject_id,
                study_year_id=span.study_year_id,
                period_id=target.period_id,
            )
        }
        await uow.commit()  # the default scheme may just have been created
    result = []
    for student in students:
        average = averages.get(student)
        suggested = scale.suggest(average.value) if average else None
        result.append(
            Suggestion(
                student,
                average.value if average else 0.0,
                average.marks if average else 0,
                suggested.value if suggested else "",
                current.get(student, ""),
            )
        )
    return result, scale


@dataclass(frozen=True)
class FinalMarkInput:
    """A teacher's final mark for a student (empty value: take it back)."""

    student_id: str
    value: str


def _json(row: FinalMarkRow | None) -> dict[str, str] | None:
    if row is None:
        return None
    return {
        "student_id": row.student_id,
        "group_id": row.group_id,
        "subject_id": row.subject_id,
        "study_year_id": row.study_year_id,
        "period_id": row.period_id,
        "value": row.value,
        "scale_id": row.scale_id,
    }


async def set_final_marks(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    target: Target,
    marks: Sequence[FinalMarkInput],
    *,
    idempotency_key: str,
    client: str,
    now: datetime,
) -> tuple[list[FinalMarkRow], int]:
    """Set (or take back) final marks; only values the scale allows as final, only students
    of the group in that time, never in a locked period."""
    actor = await authorizer.person_id()
    operation = f"set_final_marks:{target.group_id}:{target.subject_id}:{target.period_id}"
    async with uow:
        span = await _span(uow, target)
        await _authorize(uow, authorizer, JOURNAL_WRITE, target, span)
        locked = [p for p in span.periods if p.locked(now)]
        # A period's marks lock with the period; a year's once its last period is closed.
        blocking = (
            locked[-1:] if target.period_id else [p for p in span.periods[-1:] if p in locked]
        )
        if blocking:
            raise FailedPrecondition(
                f"period «{blocking[0].name}» is closed: final marks change only after a deputy "
                "unlocks it",
                [FieldViolation("period_id", "is in a closed period")],
            )
        current = {
            m.student_id: m
            for m in await uow.marking.final_marks(
                group_id=target.group_id,
                subject_id=target.subject_id,
                study_year_id=span.study_year_id,
                period_id=target.period_id,
            )
        }
        if await recall(uow.session, operation, idempotency_key):
            return list(current.values()), 0
        scheme = await uow.marking.scheme(span.institution_id)
        scale = scale_for(scheme.scales, target.subject_id)
        enrolled = {
            r["student_id"]
            for r in await uow.lessons.enrolments(target.group_id, span.starts, span.ends)
        }
        problems: list[FieldViolation] = []
        seen: set[str] = set()
        changes: list[Change] = []
        written: list[FinalMarkRow] = []
        for index, item in enumerate(marks):
            where = f"marks[{index}]"
            if item.student_id in seen:
                problems.append(FieldViolation(f"{where}.student_id", "is given twice"))
                continue
            seen.add(item.student_id)
            if item.student_id not in enrolled:
                problems.append(
                    FieldViolation(f"{where}.student_id", "is not in the group in that time")
                )
                continue
            before = current.get(item.student_id)
            if not item.value.strip():
                if before is not None:
                    changes.append(
                        Change("final_mark", before.id, ChangeAction.DELETE, _json(before), None)
                    )
                    written.append(FinalMarkRow(**{**before.__dict__, "value": ""}))
                continue
            value = scale.value(item.value)
            if value is None or not value.final:
                finals = ", ".join(v.value for v in scale.values if v.final)
                problems.append(
                    FieldViolation(
                        f"{where}.value", f"is not a final mark of «{scale.name}» ({finals})"
                    )
                )
                continue
            if before is not None and before.value == value.value:
                continue
            row = FinalMarkRow(
                id=before.id if before else str(uuid.uuid4()),
                institution_id=span.institution_id,
                group_id=target.group_id,
                subject_id=target.subject_id,
                student_id=item.student_id,
                study_year_id=span.study_year_id,
                period_id=target.period_id,
                value=value.value,
                scale_id=scale.id,
                set_by=actor,
                set_at=now,
            )
            changes.append(
                Change(
                    "final_mark",
                    row.id,
                    ChangeAction.UPDATE if before else ChangeAction.CREATE,
                    _json(before),
                    _json(row),
                )
            )
            written.append(row)
        if problems:
            raise InvalidArgument("the final marks are not valid", problems)
        for row in written:
            if row.value:
                await uow.marking.put_final_mark(row)
            else:
                await uow.marking.remove_final_mark(row.id)
            uow.publish(
                Event(
                    "final_mark",
                    target.group_id,
                    events_pb2.FinalMarkSet(
                        mark=protos.final_mark_to_proto(row), institution_id=span.institution_id
                    ),
                    institution_id=span.institution_id,
                )
            )
        if changes:
            uow.record_history(span.institution_id, changes, actor_id=actor, client=client, at=now)
        await remember(uow.session, operation, idempotency_key, b"done")
        await uow.commit()
        result = await uow.marking.final_marks(
            group_id=target.group_id,
            subject_id=target.subject_id,
            study_year_id=span.study_year_id,
            period_id=target.period_id,
        )
    return result, len(changes)


async def list_final_marks(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    *,
    group_id: str,
    subject_id: str,
    student_id: str,
) -> list[FinalMarkRow]:
    """A group's final marks (its teachers, deputies) or a student's across years (diary)."""
    if bool(group_id) == bool(student_id):
        raise invalid("group_id", "give either group_id or student_id")
    async with uow:
        marks = await uow.marking.final_marks(
            group_id=group_id, subject_id=subject_id, student_id=student_id
        )
        if student_id:
            institutions = await uow.lessons.student_institutions(student_id)
            if not institutions:
                raise NotFound(
                    f"the journal knows no student {student_id!r}",
                    [FieldViolation("student_id", "is not enrolled in any group")],
                )
            for institution_id in institutions:
                await authorizer.require(
                    DIARY_READ, institution_id=institution_id, person_id=student_id
                )
        else:
            institutions = await uow.lessons.group_institutions(group_id)
            if not institutions:
                raise NotFound(
                    f"the journal knows no group {group_id!r}",
                    [FieldViolation("group_id", "has no lessons")],
                )
            teachers = await uow.lessons.teachers(group_id, date.min, date.max, subject_id)
            for institution_id in institutions:
                await require_lessons(
                    uow,
                    authorizer,
                    JOURNAL_READ,
                    institution_id=institution_id,
                    teacher_ids=teachers,
                )
    return marks
