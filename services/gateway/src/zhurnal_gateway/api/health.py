"""/healthz (the process lives) and /readyz (every service and Keycloak answer)."""

from __future__ import annotations

import asyncio

import grpc
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import BaseModel

from zhurnal_gateway.api.deps import GatewayDep
from zhurnal_gateway.bootstrap import Gateway

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Overall status and, for readiness, each dependency's."""

    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", operation_id="healthz")
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


async def _service(gateway: Gateway, name: str) -> str:
    stub = health_pb2_grpc.HealthStub(gateway.channels[name])
    try:
        reply = await stub.Check(
            health_pb2.HealthCheckRequest(), timeout=gateway.settings.ready_timeout_s
        )
    except grpc.aio.AioRpcError as exc:
        return f"down: {exc.code().name}"
    return "up" if reply.status == health_pb2.HealthCheckResponse.SERVING else "down: not serving"


async def _keycloak(gateway: Gateway) -> str:
    url = f"{gateway.settings.issuer}/.well-known/openid-configuration"
    try:
        response = await gateway.http.get(url)
    except Exception as exc:  # any transport failure means "not reachable"
        return f"down: {type(exc).__name__}"
    return "up" if response.status_code == 200 else f"down: HTTP {response.status_code}"


@router.get("/readyz", operation_id="readyz", responses={503: {"model": Health}})
async def readyz(gateway: GatewayDep) -> JSONResponse:
    """Readiness: every service the gateway calls, and Keycloak, answer."""
    names = list(gateway.channels)
    results = await asyncio.gather(*(_service(gateway, n) for n in names), _keycloak(gateway))
    checks = dict(zip([*names, "keycloak"], results, strict=True))
    ready = all(v == "up" for v in checks.values())
    body = Health(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
