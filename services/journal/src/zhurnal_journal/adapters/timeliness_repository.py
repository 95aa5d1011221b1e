"""Timeliness of the journal (R-3.2): overdue lessons counted per institution for the monitor's
gauges, and period unlocks whose time is up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_journal.adapters.lesson_repository import CANCELLED, missing_topic
from zhurnal_journal.adapters.tables import institution, lesson, period_unlock, study_period

# "A day's lessons": those whose deadline fell within this window before now.
LAST_DAY = timedelta(hours=24)


def in_force(now: datetime) -> ColumnElement[bool]:
    """An unlock still lets its period be written. Its complement (expires_at <= now) is what
    the monitor announces as ended, so no moment counts an unlock as both or neither."""
    return period_unlock.c.expires_at > now


def locked(now: datetime) -> ColumnElement[bool]:
    """The lesson lies in a closed period with no unlock in force: nobody can write its topic
    until a deputy unlocks the period, so it would only keep an alert firing."""
    return exists().where(
        study_period.c.study_year_id == lesson.c.study_year_id,
        study_period.c.closed,
        lesson.c.date.between(study_period.c.starts, study_period.c.ends),
        ~exists().where(period_unlock.c.period_id == study_period.c.id, in_force(now)),
    )


def overdue_query(now: datetime) -> Select[tuple[str, int]]:
    """Lessons past their deadline without a topic, counted per institution, leaving out the
    ones in locked periods. The partial index lesson_missing_topic holds exactly the rows that
    missing_topic may select."""
    return (
        select(lesson.c.institution_id, func.count())
        .where(missing_topic(now), ~locked(now))
        .group_by(lesson.c.institution_id)
    )


@dataclass(frozen=True)
class DayCounts:
    """Lessons whose deadline fell in the last day, and of those the ones without a topic."""

    due: int
    overdue: int


@dataclass(frozen=True)
class SummaryRow:
    """A timeliness summary's counts for one institution, teacher or group (``key``)."""

    key: str
    institution_id: str
    scheduled: int
    due: int
    recorded: int
    recorded_late: int
    overdue: int
    due_recorded: int


# What a summary may be counted per: institution, teacher or group.
SUMMARY_KEYS = {
    "institution": lesson.c.institution_id,
    "teacher": lesson.c.teacher_id,
    "group": lesson.c.group_id,
}


@dataclass(frozen=True)
class ExpiredUnlock:
    """An unlock whose time is up and whose end nobody announced yet."""

    id: str
    period_id: str
    institution_id: str
    # Empty when the period is not projected (then it cannot be locked either).
    study_year_id: str
    # The period is read-only again: closed, and no other unlock of it is in force. A period
    # reopened meanwhile, or unlocked anew, is not locked by this unlock's end.
    period_locked: bool


class TimelinessRepository:
    """Read-mostly queries of the timeliness monitor on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def institutions(self) -> set[str]:
        """Every institution the journal knows (the projection of identity's institutions).

        The gauges are exported for each of them, 0 included, so an alert resolves with a
        series at 0 rather than a vanished one; reading them here avoids a scan of every
        lesson for its distinct institutions.
        """
        return set((await self._session.execute(select(institution.c.id))).scalars())

    async def overdue(self, now: datetime) -> dict[str, int]:
        """Lessons past their deadline without a topic, per institution, leaving out the ones
        in locked periods. The partial index lesson_missing_topic holds exactly the rows that
        missing_topic may select."""
        rows = await self._session.execute(overdue_query(now))
        return {institution_id: count for institution_id, count in rows}

    async def last_day(self, now: datetime) -> dict[str, DayCounts]:
        """Per institution: lessons whose deadline fell in the last day, and of those the ones
        still without a topic (the share of a day's lessons overdue). Both in one query so the
        share is taken from one snapshot."""
        rows = await self._session.execute(
            select(
                lesson.c.institution_id,
                func.count(),
                func.count().filter(missing_topic(now)),
            )
            .where(
                lesson.c.status != CANCELLED,
                lesson.c.due_at >= now - LAST_DAY,
                lesson.c.due_at < now,
                ~locked(now),
            )
            .group_by(lesson.c.institution_id)
        )
        return {
            institution_id: DayCounts(due=due, overdue=overdue)
            for institution_id, due, overdue in rows
        }

    async def summary(
        self, institution_ids: Iterable[str], first: date, last: date, now: datetime, by: str
    ) -> list[SummaryRow]:
        """Lessons of ``first``..``last`` (not cancelled) counted per ``by``: scheduled, past
        their deadline, recorded, recorded after the deadline and overdue, the last as the
        overdue gauge counts them (locked periods left out). One scan, one snapshot."""
        key = SUMMARY_KEYS[by]
        due = lesson.c.due_at < now
        rows = await self._session.execute(
            select(
                key,
                lesson.c.institution_id,
                func.count(),
                func.count().filter(due),
                func.count().filter(lesson.c.topic.is_not(None)),
                func.count().filter(lesson.c.recorded_at > lesson.c.due_at),
                func.count().filter(missing_topic(now), ~locked(now)),
                func.count().filter(due, lesson.c.topic.is_not(None)),
            )
            .where(
                lesson.c.institution_id.in_(list(institution_ids)),
                lesson.c.date.between(first, last),
                lesson.c.status != CANCELLED,
            )
            .group_by(key, lesson.c.institution_id)
            .order_by(lesson.c.institution_id, key)
        )
        return [SummaryRow(*row) for row in rows]

    async def expired_unlocks(self, now: datetime) -> list[ExpiredUnlock]:
        """Unlocks whose time is up and not announced yet, locked until the transaction ends.

        SKIP LOCKED: a second monitor passes over the rows the first is announcing instead of
        waiting and announcing them again after it (it then sees ended_announced set).
        """
        other = period_unlock.alias("other")
        rows = await self._session.execute(
            select(
                period_unlock.c.id,
                period_unlock.c.period_id,
                period_unlock.c.institution_id,
                study_period.c.study_year_id,
                and_(
                    study_period.c.closed.is_(True),
                    ~exists().where(
                        other.c.period_id == period_unlock.c.period_id,
                        other.c.expires_at > now,
                    ),
                ).label("period_locked"),
            )
            .outerjoin(study_period, study_period.c.id == period_unlock.c.period_id)
            .where(~in_force(now), period_unlock.c.ended_announced.is_(False))
            .order_by(period_unlock.c.expires_at)
            .with_for_update(of=period_unlock, skip_locked=True)
        )
        return [
            ExpiredUnlock(
                id=r.id,
                period_id=r.period_id,
                institution_id=r.institution_id,
                study_year_id=r.study_year_id or "",
                period_locked=bool(r.period_locked),
            )
            for r in rows
        ]

    async def mark_announced(self, unlock_ids: Iterable[str]) -> None:
        """Record that these unlocks' end was announced (or needed no announcement)."""
        ids = list(unlock_ids)
        if ids:
            await self._session.execute(
                update(period_unlock)
                .where(period_unlock.c.id.in_(ids))
                .values(ended_announced=True)
            )
