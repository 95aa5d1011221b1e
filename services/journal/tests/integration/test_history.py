"""The history against the real PostgreSQL (R-1.6): appended as the role the service runs as,
one unbroken chain per institution under concurrent appends; that role may not update, delete or
truncate it, a trigger stops even the owner; and a record altered or removed directly in the
database is named by the verification, the RPC's repository and the operator's command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_journal.adapters import history_repository
from zhurnal_journal.adapters.history_repository import HistoryRepository
from zhurnal_journal.domain.history import GENESIS_HASH, Change, ChangeAction
from zhurnal_journal.entrypoints.history_servicer import HistoryServicer
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.errors import InvalidArgument, NotFound, PermissionDenied
from zhurnal_kit.pytest_plugin import ROOT

pytestmark = pytest.mark.infra

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
async def app(app_db: str) -> AsyncIterator[Sessions]:
    """Sessions as the service's login role."""
    engine = create_async_engine(app_db, pool_size=12, max_overflow=0)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
async def owner(pg: Callable[[str], Any], journal_db: str) -> asyncpg.Connection:
    """A connection as the database's owner (a superuser on the local cluster)."""
    return await pg(journal_db)


def institution() -> str:
    return str(uuid.uuid4())


def change(n: int, *, lesson_id: str = "lesson-1", action: ChangeAction = ChangeAction.CREATE):
    return Change(
        entity="mark",
        entity_id=f"mark-{n}",
        action=action,
        before=None if action == ChangeAction.CREATE else {"value": "4"},
        after={"value": "5", "student_id": f"student-{n}", "comment": "Отлично"},
        lesson_id=lesson_id,
        responsible_teacher_id="teacher-1",
    )


async def stage(sessions: Sessions, institution_id: str, *changes: Change) -> None:
    """Stage ``changes`` in a committed transaction, as a use case does."""
    async with sessions() as session:
        await HistoryRepository(session).stage(
            institution_id,
            changes,
            actor_id="person-1",
            client="web 127.0.0.1 pytest",
            at=datetime.now(UTC),
        )
        await session.commit()


async def chain(sessions: Sessions, institution_id: str) -> int:
    """Chain the institution's staged changes, as the chainer does; how many."""
    async with sessions() as session:
        chained = await HistoryRepository(session).chain_pending(institution_id)
        await session.commit()
    return chained


async def append(sessions: Sessions, institution_id: str, *changes: Change) -> int:
    """Stage, then chain: how many records the chain grew by."""
    await stage(sessions, institution_id, *changes)
    return await chain(sessions, institution_id)


async def verify(sessions: Sessions, institution_id: str) -> Any:
    async with sessions() as session:
        return await HistoryRepository(session).verify(institution_id)


async def chain_of(sessions: Sessions, n: int) -> str:
    """A new institution with ``n`` records, appended in transactions of up to three."""
    school = institution()
    for start in range(1, n + 1, 3):
        await append(sessions, school, *(change(i) for i in range(start, min(start + 3, n + 1))))
    return school


async def tamper(owner: asyncpg.Connection, sql: str, *args: Any) -> None:
    """Run ``sql`` as the owner with triggers off, the way someone with the owner's powers
    would get past the append-only trigger."""
    async with owner.transaction():
        await owner.execute("SET LOCAL session_replication_role = replica")
        await owner.execute(sql, *args)


# ------------------------------------------------------------------ appending and reading


async def test_appended_records_form_an_intact_chain(app: Sessions, owner: asyncpg.Connection):
    school = institution()
    assert await append(app, school, change(1), change(2), change(3)) == 3
    assert await append(app, school, change(4, action=ChangeAction.UPDATE)) == 1
    assert await append(app, school) == 0

    result = await verify(app, school)
    assert result.intact and result.records == 4 and result.first_broken_seq == 0

    rows = await owner.fetch(
        "SELECT seq, prev_hash, hash, before_json, after_json, client FROM history_record"
        " WHERE institution_id = $1 ORDER BY seq",
        school,
    )
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    assert rows[0]["before_json"] == "null"
    assert rows[0]["after_json"] == '{"comment":"Отлично","student_id":"student-1","value":"5"}'
    assert rows[3]["before_json"] == '{"value":"4"}'
    head = await owner.fetchrow(
        "SELECT seq, hash FROM history_head WHERE institution_id = $1", school
    )
    assert (head["seq"], head["hash"]) == (4, rows[3]["hash"])


async def test_an_empty_history_is_intact(app: Sessions):
    result = await verify(app, institution())
    assert result.intact and result.records == 0


async def test_history_is_listed_newest_first_in_pages(app: Sessions):
    school = institution()
    await append(app, school, *(change(i, lesson_id=f"lesson-{i % 2}") for i in range(1, 8)))
    async with app() as session:
        repo = HistoryRepository(session)
        first, token = await repo.list(school, page_size=3)
        second, token2 = await repo.list(school, page_size=3, cursor=token)
        third, token3 = await repo.list(school, page_size=3, cursor=token2)
        assert [r.seq for r in first + second + third] == [7, 6, 5, 4, 3, 2, 1]
        assert token and token2 and token3 == ""

        of_lesson, _ = await repo.list(school, lesson_id="lesson-1", page_size=10)
        assert [r.seq for r in of_lesson] == [7, 5, 3, 1]
        of_entry, _ = await repo.list(school, entity_id="mark-2", page_size=10)
        assert [(r.seq, r.entity_id) for r in of_entry] == [(2, "mark-2")]
        assert of_entry[0].content_hash() == of_entry[0].hash

        with pytest.raises(InvalidArgument):
            await repo.list(school, page_size=3, cursor="not-a-token")
        assert school in await repo.institutions()


async def test_staged_changes_join_the_chain_only_when_chained(
    app: Sessions, owner: asyncpg.Connection
):
    school = institution()
    await stage(app, school, change(1), change(2))
    async with app() as session:  # a stage rolled back leaves nothing to chain
        await HistoryRepository(session).stage(
            school, [change(3)], actor_id="a", client="c", at=datetime.now(UTC)
        )
        await session.rollback()
    assert (await verify(app, school)).records == 0
    async with app() as session:
        assert school in await HistoryRepository(session).pending_institutions()

    assert await chain(app, school) == 2
    assert await chain(app, school) == 0
    rows = await owner.fetch(
        "SELECT seq, entity_id FROM history_record WHERE institution_id = $1 ORDER BY seq",
        school,
    )
    assert [(r["seq"], r["entity_id"]) for r in rows] == [(1, "mark-1"), (2, "mark-2")]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM history_pending WHERE institution_id = $1", school
        )
        == 0
    )


async def test_concurrent_writers_and_chainers_of_one_institution_form_one_chain(
    app: Sessions,
):
    school = institution()

    async def writer(n: int) -> int:
        return await append(app, school, *(change(10 * n + i) for i in range(3)))

    # Ten writers at once, each chaining what it finds staged (others' changes too); the
    # first creates the chain's head.
    chained = await asyncio.gather(*(writer(n) for n in range(10)))
    assert sum(chained) == 30
    verified = await verify(app, school)
    assert verified.intact and verified.records == 30


async def test_a_chainer_waits_for_the_other_chainer_of_its_institution(app: Sessions):
    school = institution()
    await append(app, school, change(1))
    await stage(app, school, change(2))
    async with app() as first:
        assert await HistoryRepository(first).chain_pending(school) == 1
        await stage(app, school, change(3))
        second = asyncio.create_task(chain(app, school))
        await asyncio.sleep(0.5)
        assert not second.done()  # held by the first transaction's lock of the head
        await first.commit()
    assert await second == 1
    assert (await verify(app, school)).records == 3


# ------------------------------------------------------------------ append-only


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE history_record SET after_json = 'null'",
        "DELETE FROM history_record",
        "TRUNCATE history_record",
        "DELETE FROM history_head",
        "TRUNCATE history_head",
        "ALTER TABLE history_record DISABLE TRIGGER history_record_append_only",
        "DELETE FROM alembic_version",
        "UPDATE history_pending SET after_json = 'null'",
        "TRUNCATE history_pending",
    ],
)
async def test_the_service_role_may_not_rewrite_the_history(
    pg: Callable[[str], Any], app_db: str, app: Sessions, sql: str
):
    await append(app, institution(), change(1))
    conn = await pg(app_db)
    assert await conn.fetchval("SELECT current_user") == "zhurnal_journal"
    with pytest.raises(
        asyncpg.InsufficientPrivilegeError, match=r"permission denied|must be owner"
    ):
        await conn.execute(sql)


async def test_the_service_role_reads_and_writes_the_other_tables(
    pg: Callable[[str], Any], app_db: str
):
    conn = await pg(app_db)
    school = institution()
    async with conn.transaction():
        await conn.execute("INSERT INTO institution (id, code) VALUES ($1, 'x')", school)
        await conn.execute("UPDATE institution SET code = 'y' WHERE id = $1", school)
        await conn.execute("DELETE FROM institution WHERE id = $1", school)
        await conn.execute("SELECT count(*) FROM outbox")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE history_record SET after_json = 'null'",
        "DELETE FROM history_record",
        "TRUNCATE history_record",
    ],
)
async def test_the_trigger_stops_even_the_owner(owner: asyncpg.Connection, app: Sessions, sql: str):
    await append(app, institution(), change(1))
    with pytest.raises(
        asyncpg.InsufficientPrivilegeError, match=r"history is append-only \(R-1.6\)"
    ):
        await owner.execute(sql)


# ------------------------------------------------------------------ tampering is detected


async def test_a_record_altered_in_the_database_is_named(app: Sessions, owner: asyncpg.Connection):
    school = await chain_of(app, 9)
    await tamper(
        owner,
        "UPDATE history_record SET after_json = $2 WHERE institution_id = $1 AND seq = 5",
        school,
        '{"comment":"Отлично","student_id":"student-5","value":"2"}',
    )
    result = await verify(app, school)
    assert not result.intact
    assert result.first_broken_seq == 5 and result.records == 4
    assert "record 5 was altered" in result.problem


async def test_a_change_of_its_time_or_author_is_named(app: Sessions, owner: asyncpg.Connection):
    school = await chain_of(app, 4)
    await tamper(
        owner,
        "UPDATE history_record SET at = at - interval '1 day'"
        " WHERE institution_id = $1 AND seq = 2",
        school,
    )
    assert (await verify(app, school)).first_broken_seq == 2
    school = await chain_of(app, 4)
    await tamper(
        owner,
        "UPDATE history_record SET actor_id = 'someone' WHERE institution_id = $1 AND seq = 4",
        school,
    )
    assert (await verify(app, school)).first_broken_seq == 4


async def test_a_record_deleted_from_the_middle_is_named(app: Sessions, owner: asyncpg.Connection):
    school = await chain_of(app, 9)
    await tamper(owner, "DELETE FROM history_record WHERE institution_id = $1 AND seq = 6", school)
    result = await verify(app, school)
    assert not result.intact
    assert result.first_broken_seq == 6 and result.records == 5
    assert result.problem == "record 6 is missing (the next is 7)"


async def test_records_deleted_from_the_end_are_detected(app: Sessions, owner: asyncpg.Connection):
    school = await chain_of(app, 9)
    await tamper(owner, "DELETE FROM history_record WHERE institution_id = $1 AND seq = 9", school)
    result = await verify(app, school)
    assert not result.intact
    assert result.first_broken_seq == 9 and result.records == 8
    assert "record 9 is missing from the end of the chain" in result.problem

    # Removing the head too, to hide it, is found as well.
    await tamper(owner, "DELETE FROM history_head WHERE institution_id = $1", school)
    result = await verify(app, school)
    assert not result.intact and "no head" in result.problem


async def test_the_break_is_found_across_batches(
    app: Sessions, owner: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(history_repository, "VERIFY_BATCH", 4)
    school = await chain_of(app, 14)
    assert (await verify(app, school)).records == 14
    await tamper(
        owner,
        "UPDATE history_record SET client = 'forged' WHERE institution_id = $1 AND seq = 11",
        school,
    )
    result = await verify(app, school)
    assert result.first_broken_seq == 11 and result.records == 10


# ------------------------------------------------------------------ the operator's command


def verify_cli(app_db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-m",
            "zhurnal_journal.entrypoints.cli",
            "verify-history",
            *args,
        ],
        env={**os.environ, "ZHURNAL_JOURNAL_DATABASE_URL": app_db},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_command_names_the_broken_record_and_fails(
    app_db: str, app: Sessions, owner: asyncpg.Connection
):
    intact = await chain_of(app, 3)
    broken = await chain_of(app, 6)
    await tamper(
        owner,
        "UPDATE history_record SET before_json = '{}' WHERE institution_id = $1 AND seq = 4",
        broken,
    )

    result = await asyncio.to_thread(verify_cli, app_db, "--institution", intact)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{intact}: intact, 3 records"

    result = await asyncio.to_thread(verify_cli, app_db, "--institution", broken)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"{broken}: BROKEN at record 4: record 4 was altered")

    # Every institution: one line each, and a failure because one chain is broken.
    result = await asyncio.to_thread(verify_cli, app_db)
    assert result.returncode == 1, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines[intact] == "intact, 3 records"
    assert lines[broken].startswith("BROKEN at record 4")


# ------------------------------------------------------------------ the RPCs


class Policy:
    """Records what the servicer asks identity's policy, and allows it (or refuses)."""

    def __init__(self, *, allow: bool = True) -> None:
        self.allow = allow
        self.asked: list[tuple[str, dict[str, Any]]] = []

    async def require(self, action: str, **resource: Any) -> None:
        self.asked.append((action, resource))
        if not self.allow:
            raise PermissionDenied(f"{action} is not allowed")


@pytest.fixture
def servicer(app: Sessions) -> tuple[HistoryServicer, Policy]:
    policy = Policy()
    journal = SimpleNamespace(
        uow=lambda: JournalUnitOfWork(app, producer="journal"), authorizer=policy
    )
    return HistoryServicer(journal), policy  # type: ignore[arg-type]


async def test_list_history_reads_pages_for_those_who_read_the_journal(
    servicer: tuple[HistoryServicer, Policy], app: Sessions
):
    rpc, policy = servicer
    school = await chain_of(app, 5)
    reply = await rpc.ListHistory(pb.ListHistoryRequest(institution_id=school, page_size=2), None)
    assert [r.seq for r in reply.records] == [5, 4] and reply.next_page_token
    record = reply.records[0]
    assert record.action == pb.CHANGE_ACTION_CREATE and record.entity == "mark"
    assert record.after_json == '{"comment":"Отлично","student_id":"student-5","value":"5"}'
    assert record.at.ToDatetime(tzinfo=UTC) <= datetime.now(UTC)
    assert record.prev_hash == reply.records[1].hash
    reply = await rpc.ListHistory(
        pb.ListHistoryRequest(institution_id=school, page_token=reply.next_page_token), None
    )
    assert [r.seq for r in reply.records] == [3, 2, 1] and not reply.next_page_token
    assert policy.asked == [("journal.read", {"institution_id": school})] * 2

    with pytest.raises(InvalidArgument) as error:
        await rpc.ListHistory(pb.ListHistoryRequest(), None)
    assert error.value.violations[0].field == "institution_id"
    with pytest.raises(InvalidArgument) as error:
        await rpc.ListHistory(pb.ListHistoryRequest(institution_id=school, page_size=-1), None)
    assert error.value.violations[0].field == "page_size"


async def test_list_and_verify_chain_what_waits_for_the_chainer_first(
    servicer: tuple[HistoryServicer, Policy], app: Sessions
):
    rpc, _ = servicer
    school = await chain_of(app, 2)
    await stage(app, school, change(3), change(4))
    reply = await rpc.ListHistory(pb.ListHistoryRequest(institution_id=school), None)
    assert [r.seq for r in reply.records] == [4, 3, 2, 1]
    await stage(app, school, change(5))
    reply = await rpc.VerifyHistory(pb.VerifyHistoryRequest(institution_id=school), None)
    assert reply == pb.VerifyHistoryResponse(intact=True, records=5)


async def test_a_teacher_reads_the_history_of_their_lesson(
    servicer: tuple[HistoryServicer, Policy], app: Sessions, owner: asyncpg.Connection
):
    rpc, policy = servicer
    school, lesson_id = institution(), str(uuid.uuid4())
    await owner.execute(
        "INSERT INTO lesson (id, institution_id, study_year_id, group_id, subject_id, teacher_id,"
        " date, start, duration, status, due_at)"
        " VALUES ($1, $2, 'y', 'g', 's', 'teacher-7', current_date, '09:00', 45, 1, now())",
        lesson_id,
        school,
    )
    await owner.execute(
        "INSERT INTO substitution (id, lesson_id, substitute_teacher_id, valid_from, valid_until)"
        " VALUES ($1, $2, 'teacher-9', now() - interval '1 hour', now() + interval '1 hour')",
        str(uuid.uuid4()),
        lesson_id,
    )
    await append(app, school, change(1, lesson_id=lesson_id), change(2, lesson_id="other"))
    reply = await rpc.ListHistory(
        pb.ListHistoryRequest(institution_id=school, lesson_id=lesson_id), None
    )
    assert [r.entity_id for r in reply.records] == ["mark-1"]
    assert policy.asked == [
        (
            "journal.read",
            {
                "institution_id": school,
                "teacher_ids": ["teacher-7"],
                "substitute_ids": ["teacher-9"],
            },
        )
    ]
    with pytest.raises(NotFound):
        await rpc.ListHistory(
            pb.ListHistoryRequest(institution_id=institution(), lesson_id=lesson_id), None
        )
    with pytest.raises(NotFound):
        await rpc.ListHistory(pb.ListHistoryRequest(institution_id=school, lesson_id="nope"), None)


async def test_verify_history_answers_intact_or_the_first_broken_record(
    servicer: tuple[HistoryServicer, Policy], app: Sessions, owner: asyncpg.Connection
):
    rpc, policy = servicer
    school = await chain_of(app, 4)
    reply = await rpc.VerifyHistory(pb.VerifyHistoryRequest(institution_id=school), None)
    assert reply == pb.VerifyHistoryResponse(intact=True, records=4)
    await tamper(owner, "DELETE FROM history_record WHERE institution_id = $1 AND seq = 2", school)
    reply = await rpc.VerifyHistory(pb.VerifyHistoryRequest(institution_id=school), None)
    assert not reply.intact and reply.first_broken_seq == 2 and reply.records == 1
    assert reply.problem == "record 2 is missing (the next is 3)"
    assert policy.asked == [("journal.read", {"institution_id": school})] * 2

    policy.allow = False
    with pytest.raises(PermissionDenied):
        await rpc.VerifyHistory(pb.VerifyHistoryRequest(institution_id=school), None)
