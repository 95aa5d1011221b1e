"""The composition root of the reporting service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.db import make_engine
from zhurnal_reporting.config import ReportingSettings


@dataclass
class Reporting:
    """Everything a process of the reporting service needs, built once at start."""

    settings: ReportingSettings
    engine: AsyncEngine
    verifier: TokenVerifier

    async def close(self) -> None:
        """Release connections and clients."""
        await self.verifier.close()
        await self.engine.dispose()


def bootstrap(settings: ReportingSettings | None = None) -> Reporting:
    """Build the service from settings (from the environment when not given)."""
    settings = settings or ReportingSettings()
    return Reporting(
        settings=settings,
        engine=make_engine(settings),
        verifier=TokenVerifier(settings.issuer, cache_s=settings.jwks_cache_s),
    )
