"""Statements of hot paths, run straight on the session's asyncpg connection (ADR 15).

SQLAlchemy's work per statement (cache key, parameter processing, the ORM session, greenlet
switches) was about 0.5 ms of Python on the development machine, more than PostgreSQL's work
for most of the statements a lesson save makes. A ``Prepared`` statement is still written with
SQLAlchemy Core against the tables (one schema, one place), compiled once for asyncpg, and run
on the connection of the session's own transaction: asyncpg prepares it once per connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]
_DRIVER = "zhurnal_kit.driver_connection"


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, with the session's transaction begun on it.

    Statements on it are part of the session's transaction: they commit and roll back with it.
    """
    # Found once per transaction: asking the session each time costs more than a statement.
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_DRIVER)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]  # type: ignore[no-any-return]
    connection = await session.connection()
    adapted = (await connection.get_raw_connection()).dbapi_connection
    # SQLAlchemy's adapter sends BEGIN lazily with its first statement; a statement of ours
    # may come first, and must not run outside the transaction.
    if adapted._transaction is None:  # type: ignore[union-attr]
        await adapted._start_transaction()  # type: ignore[union-attr]
    driver = adapted._connection  # type: ignore[union-attr]
    session.info[_DRIVER] = (session.sync_session.get_transaction(), driver)
    return driver  # type: ignore[no-any-return]


class Prepared:
    """A Core statement compiled once for asyncpg, its parameters given by name."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._sql = ""
        self._names: tuple[str, ...] = ()
        self._fixed: dict[str, Any] = {}

    def _compiled(self) -> str:
        # Compiled at first use, not at import: importing a module does no work.
        if not self._sql:
            compiled = self._statement.compile(dialect=_DIALECT)
            assert isinstance(compiled, SQLCompiler), "a statement compiles to SQL"
            self._names = tuple(compiled.positiontup or ())
            # Values written into the statement (``.values(kind=1)``) are parameters too.
            self._fixed = {
                name: bind.value
                for name, bind in compiled.binds.items()
                if name in self._names and not bind.required
            }
            self._sql = str(compiled)
        return self._sql

    @property
    def sql(self) -> str:
        """The statement's SQL as asyncpg runs it."""
        return self._compiled()

    def _args(self, params: Mapping[str, Any]) -> list[Any]:
        sql = self._compiled()
        if self._fixed:
            params = {**self._fixed, **params}
        missing = [name for name in self._names if name not in params]
        if missing:
            raise TypeError(f"parameters {missing} missing for: {sql}")
        return [params[name] for name in self._names]

    async def fetch(self, session: AsyncSession, **params: Any) -> list[asyncpg.Record]:
        """The rows of the statement."""
        conn = await driver_connection(session)
        return await conn.fetch(self._compiled(), *self._args(params))

    async def fetchrow(self, session: AsyncSession, **params: Any) -> asyncpg.Record | None:
        """The first row of the statement (None when there is none)."""
        conn = await driver_connection(session)
        return await conn.fetchrow(self._compiled(), *self._args(params))

    async def execute(self, session: AsyncSession, **params: Any) -> None:
        """Run the statement once."""
        conn = await driver_connection(session)
        await conn.execute(self._compiled(), *self._args(params))

    async def executemany(self, session: AsyncSession, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run the statement for each of ``rows`` (asyncpg sends them in one round trip)."""
        args = [self._args(row) for row in rows]
        if args:
            conn = await driver_connection(session)
            await conn.executemany(self._compiled(), args)
