"""Timeliness of the journal (R-3.2): a lesson's topic is due by its deadline (lesson.due_at,
set by the district's rule in the institution's time zone).

The monitor process recounts overdue lessons into gauges; the save path reports each topic's
first save. Every metric is labelled by institution only: per teacher, group or lesson the
series would grow without bound, and those details are in the journal's overdue list
(ListOverdue) for whoever follows an alert up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from prometheus_client import Counter, Gauge, Histogram

from zhurnal.journal.v1 import events_pb2
from zhurnal_journal.adapters.timeliness_repository import (
    SUMMARY_KEYS,
    DayCounts,
    ExpiredUnlock,
    SummaryRow,
    TimelinessRepository,
)
from zhurnal_journal.service_layer.access import AGGREGATE_READ, JOURNAL_READ
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.db import UnitOfWork
from zhurnal_kit.errors import invalid
from zhurnal_kit.events import Event

log = logging.getLogger(__name__)

_MINUTE = 60.0
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
# From "right after the lesson" to "weeks later, before the period closes".
DELAY_BUCKETS = (
    5 * _MINUTE,
    15 * _MINUTE,
    30 * _MINUTE,
    _HOUR,
    2 * _HOUR,
    4 * _HOUR,
    8 * _HOUR,
    12 * _HOUR,
    _DAY,
    2 * _DAY,
    3 * _DAY,
    7 * _DAY,
    14 * _DAY,
    28 * _DAY,
)

OVERDUE_LESSONS = Gauge(
    "zhurnal_journal_overdue_lessons",
    "Lessons past their deadline without a topic (not cancelled, not in a locked period)",
    ["institution_id"],
)
LESSONS_DUE_LAST_DAY = Gauge(
    "zhurnal_journal_lessons_due_last_day",
    "Lessons whose deadline fell in the last 24 hours (not cancelled, not in a locked period)",
    ["institution_id"],
)
LESSONS_OVERDUE_LAST_DAY = Gauge(
    "zhurnal_journal_lessons_overdue_last_day",
    "Of the lessons whose deadline fell in the last 24 hours, those without a topic",
    ["institution_id"],
)
LATE_ENTRIES = Counter(
    "zhurnal_journal_late_entries_total",
    "Lesson topics first saved after their deadline",
    ["institution_id"],
)
ENTRY_DELAY = Histogram(
    "zhurnal_journal_entry_delay_seconds",
    "Time from a lesson's end to the first save of its topic",
    ["institution_id"],
    buckets=DELAY_BUCKETS,
)

_GAUGES = (OVERDUE_LESSONS, LESSONS_DUE_LAST_DAY, LESSONS_OVERDUE_LAST_DAY)
# Institutions this process exports gauges for, so one that is gone loses its series instead
# of showing its last count for ever.
_exported: set[str] = set()


def record_topic_entry(
    institution_id: str, *, lesson_end: datetime, due_at: datetime, recorded_at: datetime
) -> bool:
    """Count a topic's first save (the save path calls it after its commit); True when late."""
    # A topic written ahead of the lesson (from the plan) is on time with no delay: counted
    # as 0 so that the histogram's sum is not pulled down by negative delays.
    delay = max((recorded_at - lesson_end).total_seconds(), 0.0)
    ENTRY_DELAY.labels(institution_id).observe(delay)
    # Touched on every save, so the institution's counter exists at 0 before its first late
    # entry and increase() sees that one too.
    late_entries = LATE_ENTRIES.labels(institution_id)
    late = recorded_at > due_at
    if late:
        late_entries.inc()
    return late


@dataclass(frozen=True)
class Counts:
    """One round's counts; institutions without any lessons counted have zeros."""

    institutions: frozenset[str]
    overdue: dict[str, int]
    last_day: dict[str, DayCounts]


async def count(uow: UnitOfWork, now: datetime) -> Counts:
    """Count overdue lessons per institution as of ``now`` (reads only)."""
    async with uow:
        timeliness = TimelinessRepository(uow.session)
        overdue = await timeliness.overdue(now)
        last_day = await timeliness.last_day(now)
        known = await timeliness.institutions()
    # Lessons can arrive before their institution's projection does: they count all the same.
    return Counts(frozenset(known | overdue.keys() | last_day.keys()), overdue, last_day)


def export(counts: Counts) -> None:
    """Set the gauges to ``counts``; institutions no longer counted lose their series."""
    for institution_id in counts.institutions:
        day = counts.last_day.get(institution_id, DayCounts(0, 0))
        OVERDUE_LESSONS.labels(institution_id).set(counts.overdue.get(institution_id, 0))
        LESSONS_DUE_LAST_DAY.labels(institution_id).set(day.due)
        LESSONS_OVERDUE_LAST_DAY.labels(institution_id).set(day.overdue)
    for institution_id in _exported - counts.institutions:
        for gauge in _GAUGES:
            gauge.remove(institution_id)
    _exported.clear()
    _exported.update(counts.institutions)


async def refresh_gauges(uow: UnitOfWork, now: datetime) -> Counts:
    """Recount and export the gauges (the monitor's round)."""
    counts = await count(uow, now)
    export(counts)
    return counts


def _period_locked(unlock: ExpiredUnlock) -> Event:
    return Event(
        aggregate="period",
        aggregate_id=unlock.period_id,
        institution_id=unlock.institution_id,
        payload=events_pb2.PeriodLocked(
            period_id=unlock.period_id,
            study_year_id=unlock.study_year_id,
            institution_id=unlock.institution_id,
            cause="unlock_expired",
        ),
    )


async def announce_expired_unlocks(uow: UnitOfWork, now: datetime) -> int:
    """Announce PeriodLocked for each period whose unlock ran out; returns how many periods.

    The event and ended_announced are written in one transaction, so a crash in between
    announces nothing rather than twice. Two unlocks of one period ending together lock it
    once; an unlock ending while another of the period is in force locks nothing.
    """
    async with uow:
        timeliness = TimelinessRepository(uow.session)
        expired = await timeliness.expired_unlocks(now)
        if not expired:
            return 0
        locked = [
            next(unlocks)
            for _, unlocks in groupby(
                sorted((u for u in expired if u.period_locked), key=lambda u: u.period_id),
                key=lambda u: u.period_id,
            )
        ]
        for unlock in locked:
            uow.publish(_period_locked(unlock))
        await timeliness.mark_announced(u.id for u in expired)
        await uow.commit()
    log.info(
        "period unlocks ended",
        extra={"unlocks": len(expired), "periods_locked": [u.period_id for u in locked]},
    )
    return len(locked)


MAX_SUMMARY_INSTITUTIONS = 500
MAX_SUMMARY_DAYS = 366


async def summarize(
    uow: UnitOfWork,
    authorizer: Authorizer,
    institution_ids: list[str],
    first: date | None,
    last: date | None,
    by: str,
    now: datetime,
) -> list[SummaryRow]:
    """Timeliness over days (R-3.2, R-6.2), counts only: per institution for the district
    (aggregate.read on each), per teacher or group for one institution's deputy (journal.read:
    the whole institution's journal, so a teacher is refused)."""
    ids = list(dict.fromkeys(i for i in institution_ids if i))
    if by not in SUMMARY_KEYS:
        raise invalid("by", "must be institution, teacher or group")
    if not ids:
        raise invalid("institution_ids", "is required")
    if by != "institution" and len(ids) != 1:
        raise invalid("institution_ids", "must name one institution for a teacher or group summary")
    if len(ids) > MAX_SUMMARY_INSTITUTIONS:
        raise invalid("institution_ids", f"must name at most {MAX_SUMMARY_INSTITUTIONS}")
    if first is None:
        raise invalid("from_date", "is required")
    if last is None:
        raise invalid("to_date", "is required")
    if last < first:
        raise invalid("to_date", "must not be before from_date")
    if (last - first).days >= MAX_SUMMARY_DAYS:
        raise invalid("to_date", f"must be within {MAX_SUMMARY_DAYS} days of from_date")
    action = AGGREGATE_READ if by == "institution" else JOURNAL_READ
    for institution_id in ids:
        await authorizer.require(action, institution_id=institution_id)
    async with uow:
        return await TimelinessRepository(uow.session).summary(ids, first, last, now, by)
