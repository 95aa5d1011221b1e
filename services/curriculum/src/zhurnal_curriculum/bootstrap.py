"""The composition root of the curriculum service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from zhurnal_curriculum.config import CurriculumSettings
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.db import make_engine, make_session_factory
from zhurnal_kit.grpc_client import make_channel


@dataclass
class Curriculum:
    """Everything a process of the curriculum service needs, built once at start."""

    settings: CurriculumSettings
    engine: AsyncEngine
    uow: Callable[[], CurriculumUnitOfWork]
    verifier: TokenVerifier
    identity: grpc.aio.Channel
    authorizer: Authorizer

    async def close(self) -> None:
        """Release connections and clients."""
        await self.verifier.close()
        await self.identity.close()
        await self.engine.dispose()


def unit_of_work(
    settings: CurriculumSettings, sessions: Callable[[], AsyncSession]
) -> CurriculumUnitOfWork:
    """A unit of work over ``sessions`` publishing as the curriculum service."""
    return CurriculumUnitOfWork(
        sessions, producer=settings.service_name, namespace=settings.kafka_topic_namespace
    )


def bootstrap(settings: CurriculumSettings | None = None) -> Curriculum:
    """Build the service from settings (from the environment when not given)."""
    settings = settings or CurriculumSettings()
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    identity = make_channel(settings.identity_addr)
    return Curriculum(
        settings=settings,
        engine=engine,
        uow=lambda: unit_of_work(settings, sessions),
        verifier=TokenVerifier(settings.issuer, cache_s=settings.jwks_cache_s),
        identity=identity,
        authorizer=Authorizer(identity),
    )
