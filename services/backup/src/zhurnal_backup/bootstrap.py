"""The composition root of the backup service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from zhurnal_backup.config import BackupSettings
from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.db import make_engine


@dataclass
class Backup:
    """Everything a process of the backup service needs, built once at start."""

    settings: BackupSettings
    engine: AsyncEngine
    verifier: TokenVerifier

    async def close(self) -> None:
        """Release connections and clients."""
        await self.verifier.close()
        await self.engine.dispose()


def bootstrap(settings: BackupSettings | None = None) -> Backup:
    """Build the service from settings (from the environment when not given)."""
    settings = settings or BackupSettings()
    return Backup(
        settings=settings,
        engine=make_engine(settings),
        verifier=TokenVerifier(settings.issuer, cache_s=settings.jwks_cache_s),
    )
