"""The timeliness monitor's queries against the real PostgreSQL (R-3.2): overdue lessons per
institution leave out cancelled lessons and locked periods, the last day's lessons give the
share overdue, and an unlock that ran out is announced once, however many monitors run."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal.journal.v1 import events_pb2
from zhurnal_journal.adapters.tables import institution, lesson, period_unlock, study_period
from zhurnal_journal.adapters.timeliness_repository import SummaryRow, overdue_query
from zhurnal_journal.config import JournalSettings
from zhurnal_journal.service_layer import timeliness
from zhurnal_kit.db import UnitOfWork, make_engine, make_session_factory
from zhurnal_kit.errors import InvalidArgument, PermissionDenied
from zhurnal_kit.events import unpack
from zhurnal_kit.tables import outbox

pytestmark = pytest.mark.infra

CANCELLED, SCHEDULED = 3, 1
# A Tuesday noon; the monitor is handed its "now", so the test does not depend on the clock.
NOW = datetime(2026, 10, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def sessions(journal_db: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The owner's sessions: the test writes lessons, periods and unlocks with them."""
    engine = make_engine(JournalSettings(database_url=journal_db))
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
async def uow(app_db: str) -> AsyncIterator[Callable[[], UnitOfWork]]:
    """Units of work as the monitor has them: the service's own login role (ADR 13), so the
    counts, the row locks and the outbox rows need no more than its grants."""
    engine = make_engine(JournalSettings(database_url=app_db))
    sessions = make_session_factory(engine)
    # The kit's unit of work: the timeliness use cases need only its session and outbox.
    yield lambda: UnitOfWork(sessions, producer="journal")
    await engine.dispose()


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class School:
    """An institution of the test with one study year."""

    sessions: async_sessionmaker[AsyncSession]
    id: str
    year_id: str

    async def insert(self, table: Any, **values: Any) -> str:
        values.setdefault("id", new_id())
        async with self.sessions() as session, session.begin():
            await session.execute(table.insert().values(**values))
        return str(values["id"])

    async def period(self, starts: date, ends: date, *, closed: bool) -> str:
        return await self.insert(
            study_period,
            study_year_id=self.year_id,
            institution_id=self.id,
            name=f"{starts:%d.%m}–{ends:%d.%m}",
            starts=starts,
            ends=ends,
            closed=closed,
        )

    async def lesson(
        self,
        day: date,
        *,
        topic: str | None = None,
        status: int = SCHEDULED,
        due_at: datetime | None = None,
        teacher_id: str = "",
        group_id: str = "",
        recorded_at: datetime | None = None,
    ) -> str:
        # Moscow's end of the lesson's day unless told (21:00 UTC).
        due = due_at or datetime.combine(day, time(21), tzinfo=UTC)
        return await self.insert(
            lesson,
            institution_id=self.id,
            study_year_id=self.year_id,
            group_id=group_id or new_id(),
            subject_id=new_id(),
            teacher_id=teacher_id or new_id(),
            date=day,
            start=time(8, 30),
            duration=45,
            status=status,
            due_at=due,
            topic=topic,
            recorded_at=recorded_at if recorded_at else (due if topic else None),
        )

    async def unlock(self, period_id: str, expires_at: datetime) -> str:
        return await self.insert(
            period_unlock,
            period_id=period_id,
            institution_id=self.id,
            reason="Исправление оценок",
            unlocked_by=new_id(),
            unlocked_at=expires_at - timedelta(hours=48),
            expires_at=expires_at,
        )


async def school(sessions: async_sessionmaker[AsyncSession], *, known: bool = True) -> School:
    s = School(sessions, new_id(), new_id())
    if known:
        await s.insert(institution, id=s.id, code=s.id[:8])
    return s


def gauge(name: str, institution_id: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"institution_id": institution_id})


async def test_overdue_lessons_per_institution_leave_out_cancelled_and_locked_ones(
    sessions: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    a = await school(sessions)
    # September is closed with nobody's unlock: its lessons cannot be fixed, so not counted.
    await a.period(date(2026, 9, 1), date(2026, 10, 3), closed=True)
    await a.period(date(2026, 10, 4), date(2026, 12, 31), closed=False)
    await a.lesson(date(2026, 10, 1))  # in the closed period
    await a.lesson(date(2026, 10, 4))  # overdue, due two days ago
    await a.lesson(date(2026, 10, 5))  # overdue, due in the last day
    await a.lesson(date(2026, 10, 5), topic="Дроби")  # due in the last day, recorded
    await a.lesson(date(2026, 10, 5), status=CANCELLED)  # never due
    await a.lesson(date(2026, 10, 6))  # due tonight

    # A closed period with an unlock in force: its lessons can be fixed, so they count.
    b = await school(sessions)
    september = await b.period(date(2026, 9, 1), date(2026, 10, 3), closed=True)
    await b.unlock(september, NOW - timedelta(days=3))
    await b.unlock(september, NOW + timedelta(hours=5))
    await b.lesson(date(2026, 9, 30))

    # A closed period whose only unlock ran out: locked again.
    c = await school(sessions)
    c_september = await c.period(date(2026, 9, 1), date(2026, 10, 3), closed=True)
    await c.unlock(c_september, NOW - timedelta(minutes=1))
    await c.lesson(date(2026, 9, 30))

    # Known, with no lessons at all; and lessons of an institution not projected yet.
    quiet = await school(sessions)
    unknown = await school(sessions, known=False)
    await unknown.lesson(date(2026, 10, 5))

    counts = await timeliness.refresh_gauges(uow(), NOW)

    overdue = "zhurnal_journal_overdue_lessons"
    due_day = "zhurnal_journal_lessons_due_last_day"
    overdue_day = "zhurnal_journal_lessons_overdue_last_day"
    assert gauge(overdue, a.id) == 2
    assert gauge(due_day, a.id) == 2
    assert gauge(overdue_day, a.id) == 1
    assert gauge(overdue, b.id) == 1
    assert gauge(due_day, b.id) == 0
    assert gauge(overdue, c.id) == 0
    assert gauge(overdue, quiet.id) == 0
    assert gauge(due_day, quiet.id) == 0
    assert gauge(overdue_day, quiet.id) == 0
    assert gauge(overdue, unknown.id) == 1
    assert gauge(overdue_day, unknown.id) == 1
    assert {a.id, b.id, c.id, quiet.id, unknown.id} <= counts.institutions

    # The topic is saved late: the lesson leaves the counts at the next round.
    async with sessions() as session, session.begin():
        await session.execute(
            lesson.update()
            .where(lesson.c.institution_id == a.id, lesson.c.date == date(2026, 10, 5))
            .where(lesson.c.topic.is_(None), lesson.c.status == SCHEDULED)
            .values(topic="Проценты", recorded_at=NOW)
        )
    await timeliness.refresh_gauges(uow(), NOW)
    assert gauge(overdue, a.id) == 1
    assert gauge(due_day, a.id) == 2
    assert gauge(overdue_day, a.id) == 0

    # Later, the 4 October lesson is more than a day past its deadline and no longer in the
    # day's window; the 6 October one now is.
    later = NOW + timedelta(hours=10)
    await timeliness.refresh_gauges(uow(), later)
    assert gauge(overdue, a.id) == 2
    assert gauge(due_day, a.id) == 1
    assert gauge(overdue_day, a.id) == 1


async def test_the_overdue_count_can_use_the_partial_index(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # The planner may pick a sequential scan on a small table; with that disabled it shows
    # whether the query's conditions imply the index's predicate at all.
    sql = overdue_query(NOW).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    async with sessions() as session, session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
    assert "lesson_missing_topic" in plan, plan


async def outbox_events(
    sessions: async_sessionmaker[AsyncSession], period_ids: list[str]
) -> list[tuple[str, str, events_pb2.PeriodLocked]]:
    async with sessions() as session:
        rows = (
            await session.execute(
                select(outbox.c.topic, outbox.c.key, outbox.c.envelope)
                .where(outbox.c.key.in_(period_ids))
                .order_by(outbox.c.id)
            )
        ).all()
    found = []
    for topic, key, raw in rows:
        env = EventEnvelope.FromString(raw)
        found.append((topic, key, unpack(env, events_pb2.PeriodLocked)))
    return found


async def announced(sessions: async_sessionmaker[AsyncSession], unlock_ids: list[str]) -> bool:
    async with sessions() as session:
        flags = (
            await session.execute(
                select(period_unlock.c.ended_announced).where(period_unlock.c.id.in_(unlock_ids))
            )
        ).scalars()
        return all(flags)


async def test_an_expired_unlock_is_announced_once_into_the_outbox(
    sessions: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    s = await school(sessions)
    now = datetime.now(UTC)
    # Ran out: the period is locked again.
    expired = await s.period(date(2026, 9, 1), date(2026, 10, 31), closed=True)
    expired_unlock = await s.unlock(expired, now - timedelta(minutes=1))
    # Two unlocks of one period ran out together: one announcement.
    twice = await s.period(date(2026, 11, 1), date(2026, 12, 27), closed=True)
    twice_unlocks = [
        await s.unlock(twice, now - timedelta(minutes=5)),
        await s.unlock(twice, now - timedelta(seconds=5)),
    ]
    # Ran out while a newer unlock is in force: the period stays writable.
    renewed = await s.period(date(2027, 1, 9), date(2027, 3, 20), closed=True)
    renewed_old = await s.unlock(renewed, now - timedelta(minutes=1))
    await s.unlock(renewed, now + timedelta(hours=47))
    # Ran out after the period was reopened: nothing to lock.
    reopened = await s.period(date(2027, 3, 30), date(2027, 5, 31), closed=False)
    reopened_unlock = await s.unlock(reopened, now - timedelta(minutes=1))
    # Still in force: untouched.
    future = await s.period(date(2026, 6, 1), date(2026, 8, 31), closed=True)
    await s.unlock(future, now + timedelta(hours=1))

    # Two monitors at once: the rows one locked are skipped by the other, not announced twice.
    periods = await asyncio.gather(
        timeliness.announce_expired_unlocks(uow(), now),
        timeliness.announce_expired_unlocks(uow(), now),
    )
    assert sum(periods) >= 2

    all_periods = [expired, twice, renewed, reopened, future]
    events = await outbox_events(sessions, all_periods)
    assert sorted(key for _, key, _ in events) == sorted([expired, twice])
    for topic, key, payload in events:
        assert topic == "zhurnal.journal.period.v1"
        assert payload.period_id == key
        assert payload.study_year_id == s.year_id
        assert payload.institution_id == s.id
        assert payload.cause == "unlock_expired"
    assert await announced(sessions, [expired_unlock, *twice_unlocks, renewed_old, reopened_unlock])

    # The next round finds nothing more to announce.
    assert await timeliness.announce_expired_unlocks(uow(), now + timedelta(seconds=1)) == 0
    assert len(await outbox_events(sessions, all_periods)) == 2


class Policy:
    """A fake of the policy port: allows what it is told and records every question."""

    def __init__(self, allowed: set[tuple[str, str]]) -> None:
        self.allowed = allowed
        self.asked: list[tuple[str, str]] = []

    async def require(self, action: str, *, institution_id: str, **_: Any) -> None:
        self.asked.append((action, institution_id))
        if (action, institution_id) not in self.allowed:
            raise PermissionDenied(f"{action} on {institution_id}")


async def test_timeliness_summary_counts_per_institution_teacher_and_group(
    sessions: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    a, b = await school(sessions), await school(sessions)
    await a.period(date(2026, 9, 1), date(2026, 10, 3), closed=True)
    await a.period(date(2026, 10, 4), date(2026, 12, 31), closed=False)
    ivanova, petrov, group_7a = new_id(), new_id(), new_id()
    on_time = datetime(2026, 10, 5, 15, tzinfo=UTC)
    late = datetime(2026, 10, 6, 9, tzinfo=UTC)
    await a.lesson(
        date(2026, 10, 5), topic="Дроби", teacher_id=ivanova, group_id=group_7a, recorded_at=on_time
    )
    await a.lesson(date(2026, 10, 5), topic="Проценты", teacher_id=ivanova, recorded_at=late)
    await a.lesson(date(2026, 10, 5), teacher_id=petrov, group_id=group_7a)  # overdue
    await a.lesson(date(2026, 10, 6), teacher_id=petrov, group_id=group_7a)  # due tonight
    await a.lesson(date(2026, 10, 5), status=CANCELLED, teacher_id=petrov)  # never counted
    await a.lesson(date(2026, 10, 2), teacher_id=petrov)  # locked: due, not overdue
    await a.lesson(date(2026, 9, 20), teacher_id=petrov)  # before the range
    await b.lesson(date(2026, 10, 5))

    policy = Policy({("aggregate.read", a.id), ("aggregate.read", b.id), ("journal.read", a.id)})
    first, last = date(2026, 10, 1), date(2026, 10, 7)
    rows = await timeliness.summarize(uow(), policy, [a.id, b.id], first, last, "institution", NOW)
    by_key = {r.key: r for r in rows}
    assert by_key[a.id] == SummaryRow(
        a.id, a.id, scheduled=5, due=4, recorded=2, recorded_late=1, overdue=1, due_recorded=2
    )
    assert by_key[b.id] == SummaryRow(b.id, b.id, 1, 1, 0, 0, 1, 0)
    assert policy.asked == [("aggregate.read", a.id), ("aggregate.read", b.id)]

    teachers = await timeliness.summarize(uow(), policy, [a.id], first, last, "teacher", NOW)
    assert {
        r.key: (r.scheduled, r.due, r.recorded, r.recorded_late, r.overdue) for r in teachers
    } == {ivanova: (2, 2, 2, 1, 0), petrov: (3, 2, 0, 0, 1)}
    groups = await timeliness.summarize(uow(), policy, [a.id], first, last, "group", NOW)
    assert {r.key: r.scheduled for r in groups}[group_7a] == 3

    # A deputy of a may not have b's teachers; the district's analyst may not have a's.
    with pytest.raises(PermissionDenied):
        await timeliness.summarize(uow(), policy, [b.id], first, last, "teacher", NOW)
    with pytest.raises(PermissionDenied):
        await timeliness.summarize(uow(), Policy(set()), [a.id], first, last, "institution", NOW)


@pytest.mark.parametrize(
    ("ids", "first", "last", "by", "field"),
    [
        ([], date(2026, 10, 1), date(2026, 10, 7), "institution", "institution_ids"),
        (["a", "b"], date(2026, 10, 1), date(2026, 10, 7), "teacher", "institution_ids"),
        (["a"], None, date(2026, 10, 7), "group", "from_date"),
        (["a"], date(2026, 10, 1), None, "group", "to_date"),
        (["a"], date(2026, 10, 7), date(2026, 10, 1), "group", "to_date"),
        (["a"], date(2025, 10, 1), date(2026, 10, 7), "group", "to_date"),
        (["a"], date(2026, 10, 1), date(2026, 10, 7), "", "by"),
    ],
)
async def test_a_timeliness_summary_names_the_field_it_cannot_take(
    uow: Callable[[], UnitOfWork],
    ids: list[str],
    first: date | None,
    last: date | None,
    by: str,
    field: str,
) -> None:
    policy = Policy(set())
    with pytest.raises(InvalidArgument) as refused:
        await timeliness.summarize(uow(), policy, ids, first, last, by, NOW)
    assert [v.field for v in refused.value.violations] == [field]
    assert policy.asked == []  # refused before anyone is asked
