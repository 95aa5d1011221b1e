"""The composition root of the identity service: wires settings to adapters and use cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from zhurnal_identity.adapters.keycloak import KeycloakAccounts
from zhurnal_identity.adapters.keycloak_bulk import KeycloakBulkAccounts
from zhurnal_identity.config import IdentitySettings
from zhurnal_identity.service_layer.ports import AccountDirectory, BulkAccounts
from zhurnal_identity.service_layer.unit_of_work import IdentityUnitOfWork
from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.db import make_engine, make_session_factory


@dataclass
class Identity:
    """Everything a process of the identity service needs, built once at start."""

    settings: IdentitySettings
    engine: AsyncEngine
    uow: Callable[[], IdentityUnitOfWork]
    verifier: TokenVerifier
    accounts: AccountDirectory
    bulk_accounts: BulkAccounts

    async def close(self) -> None:
        """Release connections and clients."""
        await self.verifier.close()
        await self.accounts.aclose()
        await self.engine.dispose()


def bootstrap(
    settings: IdentitySettings | None = None, *, accounts: AccountDirectory | None = None
) -> Identity:
    """Build the service from settings (from the environment when not given)."""
    settings = settings or IdentitySettings()
    keycloak = {
        "server_url": settings.keycloak_url,
        "realm": settings.keycloak_realm,
        "client_id": settings.keycloak_admin_client_id,
        "client_secret": settings.keycloak_admin_client_secret.get_secret_value(),
        "timeout": settings.keycloak_admin_timeout_s,
    }
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    return Identity(
        settings=settings,
        engine=engine,
        uow=lambda: IdentityUnitOfWork(
            sessions, producer=settings.service_name, namespace=settings.kafka_topic_namespace
        ),
        verifier=TokenVerifier(settings.issuer, cache_s=settings.jwks_cache_s),
        accounts=accounts or KeycloakAccounts(**keycloak),
        bulk_accounts=KeycloakBulkAccounts(**keycloak),
    )
