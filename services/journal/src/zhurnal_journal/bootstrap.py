"""The composition root of the journal service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from zhurnal_journal.config import JournalSettings
from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.db import make_engine


@dataclass
class Journal:
    """Everything a process of the journal service needs, built once at start."""

    settings: JournalSettings
    engine: AsyncEngine
    verifier: TokenVerifier

    async def close(self) -> None:
        """Release connections and clients."""
        await self.verifier.close()
        await self.engine.dispose()


def bootstrap(settings: JournalSettings | None = None) -> Journal:
    """Build the service from settings (from the environment when not given)."""
    settings = settings or JournalSettings()
    return Journal(
        settings=settings,
        engine=make_engine(settings),
        verifier=TokenVerifier(settings.issuer, cache_s=settings.jwks_cache_s),
    )
