"""The journal's projections of identity and curriculum: institutions, study periods,
enrolments, the schedule columns of lessons, and substitutions.

Written only by the projection consumer (service_layer/projections.py) from events; read by
the journal's own use cases. The record columns of a lesson (topic, material, kind, homework,
notes, version, ...) belong to the journal's writes: nothing here ever sets them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    DateTime,
    Row,
    String,
    and_,
    column,
    func,
    select,
    text,
    values,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal.curriculum.v1 import timetable_pb2
from zhurnal_journal.adapters.tables import (
    enrolment,
    institution,
    lesson,
    study_period,
    substitution,
)
from zhurnal_journal.domain.deadlines import DEFAULT_TIME_ZONE

CANCELLED = timetable_pb2.LESSON_STATUS_CANCELLED
# Lessons whose deadline is rewritten per statement when an institution's zone arrives: a
# year of one institution is ~12,000 lessons.
RECOMPUTE_BATCH = 1000
# The advisory lock space of "the deadlines of an institution's lessons" (see _hold).
_LOCK_SPACE = "journal.institution.deadlines:"

# A lesson's deadline: (date, start, duration in minutes) -> due_at, in one institution's zone.
DueAt = Callable[[date, time, int], datetime]


@dataclass(frozen=True)
class LessonSchedule:
    """The schedule columns of one lesson, as curriculum last described it."""

    id: str
    institution_id: str
    study_year_id: str
    group_id: str
    subject_id: str
    teacher_id: str
    date: date
    start: time
    duration: int
    status: int  # curriculum.v1.LessonStatus
    due_at: datetime
    kept_read_only: bool = False


@dataclass(frozen=True)
class Period:
    """A study period of a year."""

    id: str
    study_year_id: str
    institution_id: str
    name: str
    starts: date
    ends: date
    closed: bool = False
    closed_at: datetime | None = None
    closed_by: str = ""


@dataclass(frozen=True)
class Enrolment:
    """A student's membership of a group from ``joined`` (to ``left``, inclusive)."""

    id: str
    group_id: str
    student_id: str
    joined: date
    left: date | None = None


@dataclass(frozen=True)
class Substitution:
    """Another teacher may write one lesson's journal in [valid_from, valid_until)."""

    id: str
    lesson_id: str
    substitute_teacher_id: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None = None


class ProjectionRepository:
    """Reads and writes of the projections on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Institutions

    async def institution(self, institution_id: str) -> Row[Any] | None:
        """The institution's row (its zone and the journal's settings), None while identity's
        InstitutionCreated has not arrived."""
        return (
            await self.session.execute(
                select(institution).where(institution.c.id == institution_id)
            )
        ).first()

    async def time_zone(self, institution_id: str) -> str:
        """The institution's IANA zone; the default zone while the institution is unknown."""
        found = await self.session.scalar(
            select(institution.c.time_zone).where(institution.c.id == institution_id)
        )
        return found or DEFAULT_TIME_ZONE

    async def _hold(self, institution_id: str, *, exclusive: bool) -> None:
        """Serialise deadline writes of one institution until the transaction ends.

        Lesson events take it shared before reading the zone they date lessons in;
        InstitutionCreated takes it exclusive before changing the zone and recomputing. Without
        it, a lesson batch in flight (it read the default zone) and the institution's event
        (its recompute cannot see the uncommitted batch) could both commit, leaving the batch
        dated in the wrong zone. Consumers of other partitions run in other processes.
        """
        lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await self.session.execute(
            text(f"SELECT {lock}(hashtextextended(:key, 0))"),
            {"key": _LOCK_SPACE + institution_id},
        )

    async def zone_for_lessons(self, institution_id: str) -> str:
        """The zone to date the institution's lessons in, held (see _hold) so that it cannot
        change before this transaction's lessons are committed."""
        await self._hold(institution_id, exclusive=False)
        return await self.time_zone(institution_id)

    async def record_institution(self, institution_id: str, code: str, time_zone: str) -> str:
        """Record identity's institution (code and zone; the journal's settings stay as the
        deputy set them); returns the zone its lessons were dated in until now."""
        await self._hold(institution_id, exclusive=True)
        before = await self.time_zone(institution_id)
        statement = insert(institution).values(
            id=institution_id, code=code, time_zone=time_zone or DEFAULT_TIME_ZONE
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[institution.c.id],
                set_={
                    "code": statement.excluded.code,
                    "time_zone": statement.excluded.time_zone,
                },
            )
        )
        return before

    async def recompute_due_at(self, institution_id: str, due_at: DueAt) -> int:
        """Date every lesson of the institution again with ``due_at`` (its zone changed), in
        batches by id; the number of lessons rewritten."""
        changed = 0
        after = ""
        while True:
            rows = (
                await self.session.execute(
                    select(lesson.c.id, lesson.c.date, lesson.c.start, lesson.c.duration)
                    .where(lesson.c.institution_id == institution_id, lesson.c.id > after)
                    .order_by(lesson.c.id)
                    .limit(RECOMPUTE_BATCH)
                )
            ).all()
            if not rows:
                return changed
            fresh = values(
                column("id", String(36)),
                column("due_at", DateTime(timezone=True)),
                name="fresh",
            ).data([(r.id, due_at(r.date, r.start, r.duration)) for r in rows])
            result = await self.session.execute(
                lesson.update()
                .where(lesson.c.id == fresh.c.id, lesson.c.due_at != fresh.c.due_at)
                .values(due_at=fresh.c.due_at)
            )
            changed += result.rowcount  # type: ignore[attr-defined]
            after = rows[-1].id

    # Lessons

    async def upsert_lessons(self, items: Sequence[LessonSchedule]) -> None:
        """Insert or update the schedule columns of ``items`` in one statement.

        kept_read_only stays set while a lesson stays cancelled (a later description of it
        without a decision does not reopen its entries) and clears when it is held again.
        """
        if not items:
            return
        statement = insert(lesson).values([asdict(item) for item in items])
        new = statement.excluded
        schedule = (
            "institution_id",
            "study_year_id",
            "group_id",
            "subject_id",
            "teacher_id",
            "date",
            "start",
            "duration",
            "status",
            "due_at",
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[lesson.c.id],
                set_={
                    **{name: new[name] for name in schedule},
                    "kept_read_only": and_(
                        new.status == CANCELLED, new.kept_read_only | lesson.c.kept_read_only
                    ),
                },
            )
        )

    async def remove_lessons(self, lesson_ids: Sequence[str]) -> list[str]:
        """Delete those of ``lesson_ids`` that have no journal entries (version 0), and their
        substitutions; the ids deleted. A lesson with entries is history and stays."""
        if not lesson_ids:
            return []
        removed = list(
            await self.session.scalars(
                lesson.delete()
                .where(lesson.c.id.in_(lesson_ids), lesson.c.version == 0)
                .returning(lesson.c.id)
            )
        )
        if removed:
            await self.session.execute(
                substitution.delete().where(substitution.c.lesson_id.in_(removed))
            )
        return removed

    # Study periods

    async def save_periods(self, items: Iterable[Period], *, with_state: bool = True) -> None:
        """Insert or update study periods as curriculum describes them.

        Without ``with_state`` a stored period keeps whether it is closed: only PeriodClosed
        and PeriodOpened change that, so a year's calendar applied again (a replay) never
        reopens a closed period, and a lock is announced once per closing.
        """
        rows = [asdict(item) for item in items]
        if not rows:
            return
        statement = insert(study_period).values(rows)
        state = {"closed", "closed_at", "closed_by"}
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[study_period.c.id],
                set_={
                    name: statement.excluded[name]
                    for name in rows[0]
                    if name != "id" and (with_state or name not in state)
                },
            )
        )

    async def replace_periods(self, study_year_id: str, items: Sequence[Period]) -> None:
        """The year's periods are exactly ``items`` (their closing stays as it was): stored,
        and others of the year removed."""
        await self.save_periods(items, with_state=False)
        await self.session.execute(
            study_period.delete().where(
                study_period.c.study_year_id == study_year_id,
                study_period.c.id.not_in([item.id for item in items]),
            )
        )

    async def close_period(self, item: Period) -> bool:
        """Store the period as closed; True when it was open (or unknown) until now, so the
        lock is announced once however often the event is applied."""
        was_closed = await self.session.scalar(
            select(study_period.c.closed).where(study_period.c.id == item.id).with_for_update()
        )
        await self.save_periods([item])
        return not was_closed

    # Enrolments and substitutions

    async def save_enrolment(self, item: Enrolment) -> None:
        """Insert or update one enrolment (a student left: ``left`` set)."""
        row = asdict(item)
        statement = insert(enrolment).values(row)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[enrolment.c.id],
                set_={name: statement.excluded[name] for name in row if name != "id"},
            )
        )

    async def save_substitution(self, item: Substitution) -> None:
        """Insert or update one substitution; once revoked it stays revoked."""
        row = asdict(item)
        statement = insert(substitution).values(row)
        new = statement.excluded
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[substitution.c.id],
                set_={
                    "lesson_id": new.lesson_id,
                    "substitute_teacher_id": new.substitute_teacher_id,
                    "valid_from": new.valid_from,
                    "valid_until": new.valid_until,
                    "revoked_at": func.coalesce(substitution.c.revoked_at, new.revoked_at),
                },
            )
        )
