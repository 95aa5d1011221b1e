"""Async SQLAlchemy engine and the unit of work that owns the transaction."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from zhurnal_kit.events import Event
from zhurnal_kit.logging import new_traceparent, trace_id_var
from zhurnal_kit.outbox import OutboxMessage, write_outbox
from zhurnal_kit.settings import ServiceSettings


def make_engine(settings: ServiceSettings) -> AsyncEngine:
    """The service's engine; one per process, created by bootstrap, disposed at shutdown."""
    return create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=True,
        connect_args={
            "server_settings": {
                # Named so that pg_stat_activity tells which service holds a connection.
                "application_name": f"zhurnal-{settings.service_name}",
                # Short OLTP queries never gain from JIT, and a misestimated grid read was
                # costed past the threshold and paid ~10 ms of compilation for nothing.
                "jit": "off",
            }
        },
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (handlers return them)."""
    return async_sessionmaker(engine, expire_on_commit=False)


class UnitOfWork:
    """One transaction: repositories share its session; the outbox rows ride in its commit.

    Use cases end with ``await uow.commit()``; leaving the block without it rolls back, so a
    failure half-way leaves nothing written. Services subclass it and bind repositories in
    ``_bind``.
    """

    session: AsyncSession

    def __init__(
        self, session_factory: Callable[[], AsyncSession], *, producer: str, namespace: str = ""
    ) -> None:
        self._session_factory = session_factory
        self.producer = producer
        self.namespace = namespace

    def _bind(self) -> None:
        """Create repositories on ``self.session``; overridden by services."""

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        self._messages: list[OutboxMessage] = []
        self._bind()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    def publish(self, event: Event) -> None:
        """Queue an integration event; it is written to the outbox in this transaction."""
        self._messages.append(
            OutboxMessage.of(
                event,
                service=self.producer,
                namespace=self.namespace,
                traceparent=new_traceparent(trace_id_var.get()),
            )
        )

    async def _before_commit(self) -> None:
        """The last statements of the transaction, after the outbox rows; overridden by a
        service whose final step holds a lock until COMMIT (the journal's history chain)."""

    async def commit(self) -> None:
        """Commit the state change and its outbox rows atomically."""
        messages, self._messages = self._messages, []
        await write_outbox(self.session, messages)
        await self._before_commit()
        await self.session.commit()

    async def rollback(self) -> None:
        """Throw away everything done in this unit of work."""
        self._messages = []
        await self.session.rollback()
