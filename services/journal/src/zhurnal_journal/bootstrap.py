"""The composition root of the journal service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from zhurnal_journal.config import JournalSettings
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.db import make_engine, make_session_factory
from zhurnal_kit.grpc_client import make_channel


@dataclass
class Journal:
    """Everything a process of the journal service needs, built once at start."""

    settings: JournalSettings
    engine: AsyncEngine
    uow: Callable[[], JournalUnitOfWork]
    verifier: TokenVerifier
    identity: grpc.aio.Channel
    curriculum: grpc.aio.Channel
    authorizer: Authorizer

    async def close(self) -> None:
        """Release connections and clients."""
        await self.verifier.close()
        await self.identity.close()
        await self.curriculum.close()
        await self.engine.dispose()


def unit_of_work(
    settings: JournalSettings, sessions: Callable[[], AsyncSession]
) -> JournalUnitOfWork:
    """A unit of work over ``sessions`` publishing as the journal service."""
    return JournalUnitOfWork(
        sessions, producer=settings.service_name, namespace=settings.kafka_topic_namespace
    )


def bootstrap(settings: JournalSettings | None = None) -> Journal:
    """Build the service from settings (from the environment when not given)."""
    settings = settings or JournalSettings()
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    identity = make_channel(settings.identity_addr)
    return Journal(
        settings=settings,
        engine=engine,
        uow=lambda: unit_of_work(settings, sessions),
        verifier=TokenVerifier(settings.issuer, cache_s=settings.jwks_cache_s),
        identity=identity,
        curriculum=make_channel(settings.curriculum_addr),
        authorizer=Authorizer(identity),
    )
