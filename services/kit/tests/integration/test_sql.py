"""Prepared statements on the session's asyncpg connection belong to the session's transaction:
they commit and roll back with it, whether or not SQLAlchemy ran a statement first."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from zhurnal_kit.auth import Caller, current_caller
from zhurnal_kit.idempotency import recall, remember
from zhurnal_kit.sql import Prepared
from zhurnal_kit.tables import idempotency_record, kit_metadata

pytestmark = pytest.mark.infra

REMEMBER = Prepared(
    insert(idempotency_record)
    .values(operation="sql-test", key=bindparam("key"), response=bindparam("response"))
    .inline()
)
COUNT = Prepared(
    select(func.count())
    .select_from(idempotency_record)
    .where(idempotency_record.c.key == func.any(bindparam("keys")))
)


@pytest.fixture(scope="module")
async def engine(make_database: Callable[[str], str]) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(make_database("kit_sql"))
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    yield engine
    await engine.dispose()


async def stored(engine: AsyncEngine, *keys: str) -> int:
    async with async_sessionmaker(engine)() as session:
        return (
            await session.scalar(
                select(func.count())
                .select_from(idempotency_record)
                .where(idempotency_record.c.key.in_(keys))
            )
            or 0
        )


@pytest.mark.parametrize("sqlalchemy_first", [False, True])
async def test_prepared_statements_roll_back_and_commit_with_the_session(
    engine: AsyncEngine, sqlalchemy_first: bool
) -> None:
    sessions = async_sessionmaker(engine)
    rolled_back, committed = uuid.uuid4().hex, uuid.uuid4().hex
    async with sessions() as session:
        if sqlalchemy_first:
            await session.execute(select(1))
        await REMEMBER.execute(session, key=rolled_back, response=b"x")
        await session.execute(
            insert(idempotency_record).values(
                operation="sql-test", key=f"{rolled_back}-orm", response=b"y"
            )
        )
        # Both writes are visible inside the one transaction...
        assert (await COUNT.fetchrow(session, keys=[rolled_back, f"{rolled_back}-orm"]))[0] == 2
        await session.rollback()
    # ...and both are gone with its rollback.
    assert await stored(engine, rolled_back, f"{rolled_back}-orm") == 0

    async with sessions() as session:
        await REMEMBER.executemany(
            session,
            [{"key": committed, "response": b"a"}, {"key": f"{committed}-2", "response": b"b"}],
        )
        await session.commit()
    assert await stored(engine, committed, f"{committed}-2") == 2


async def test_a_session_used_again_after_commit_writes_in_its_new_transaction(
    engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(engine)
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    async with sessions() as session:
        await REMEMBER.execute(session, key=first, response=b"x")
        await session.commit()
        await REMEMBER.execute(session, key=second, response=b"x")
        await session.rollback()
    assert await stored(engine, first) == 1
    assert await stored(engine, second) == 0


async def test_idempotency_records_are_recalled_in_their_transaction(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine)
    key = uuid.uuid4().hex
    async with sessions() as session:
        assert await recall(session, "op", key) is None
        await remember(session, "op", key, b"first")
        assert await recall(session, "op", key) == b"first"
        await session.commit()
    async with sessions() as session:
        assert await recall(session, "op", key) == b"first"
        assert await recall(session, "op", "") is None


async def test_an_idempotency_key_belongs_to_its_caller(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine)
    key = uuid.uuid4().hex
    first, second = Caller(subject=str(uuid.uuid4())), Caller(subject=str(uuid.uuid4()))
    token = current_caller.set(first)
    try:
        async with sessions() as session:
            await remember(session, "op", key, b"first's")
            await session.commit()
        current_caller.set(second)
        async with sessions() as session:
            # Another caller's same key is another request: no answer of the first leaks, and
            # their own write is not blocked.
            assert await recall(session, "op", key) is None
            await remember(session, "op", key, b"second's")
            await session.commit()
            assert await recall(session, "op", key) == b"second's"
        current_caller.set(first)
        async with sessions() as session:
            assert await recall(session, "op", key) == b"first's"
    finally:
        current_caller.reset(token)


def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(TypeError, match=r"\['response'\] missing"):
        REMEMBER._args({"key": "k"})
