"""The composition root of the gateway: channels to every service and the token verifier."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import httpx

from zhurnal.identity.v1.identity_pb2_grpc import IdentityServiceStub
from zhurnal_gateway.config import GatewaySettings
from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.grpc_client import make_channel


@dataclass
class Gateway:
    """What the gateway's routes need, built once in the app's lifespan."""

    settings: GatewaySettings
    channels: dict[str, grpc.aio.Channel]
    identity: IdentityServiceStub
    verifier: TokenVerifier
    http: httpx.AsyncClient

    async def close(self) -> None:
        """Close channels and HTTP clients."""
        for channel in self.channels.values():
            await channel.close()
        await self.verifier.close()
        await self.http.aclose()


def bootstrap(settings: GatewaySettings | None = None) -> Gateway:
    """Build the gateway from settings (from the environment when not given)."""
    settings = settings or GatewaySettings()
    channels = {
        name: make_channel(addr, default_timeout_s=settings.call_timeout_s)
        for name, addr in settings.service_addresses().items()
    }
    return Gateway(
        settings=settings,
        channels=channels,
        identity=IdentityServiceStub(channels["identity"]),
        verifier=TokenVerifier(settings.issuer, cache_s=settings.jwks_cache_s),
        http=httpx.AsyncClient(timeout=settings.ready_timeout_s),
    )
