"""The kit's gRPC server and metrics, seen from outside: health, reflection, rich errors,
request metrics, and Prometheus really scraping every process of the running stack."""

from __future__ import annotations

from typing import Any

import grpc
import httpx
import pytest
from e2e.test_institution_slice import wait_for
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from zhurnal.identity.v1 import identity_pb2, identity_pb2_grpc
from zhurnal_kit.grpc_errors import field_violations
from zhurnal_kit.pytest_plugin import Person, Stack

pytestmark = pytest.mark.infra


async def test_health_and_reflection(stack: Stack) -> None:
    async with grpc.aio.insecure_channel(stack.grpc_addrs["identity"]) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "zhurnal.identity.v1.IdentityService"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = reflection.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        names = {s.name async for r in responses for s in r.list_services_response.service}
    assert {"zhurnal.identity.v1.IdentityService", "grpc.health.v1.Health"} <= names


async def test_errors_carry_status_and_field_violations(
    stack: Stack, district_admin: Person
) -> None:
    async with grpc.aio.insecure_channel(stack.grpc_addrs["identity"]) as channel:
        identity = identity_pb2_grpc.IdentityServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await identity.CreateInstitution(identity_pb2.CreateInstitutionRequest(), timeout=5)
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as invalid:
            await identity.CreateInstitution(
                identity_pb2.CreateInstitutionRequest(code="ok-code", time_zone="Nowhere/City"),
                metadata=[("authorization", f"Bearer {district_admin.token()}")],
                timeout=5,
            )
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for v in field_violations(invalid.value)]
    assert fields == ["full_name", "short_name", "kind", "time_zone"]


async def test_request_metrics_count_calls_by_code(stack: Stack) -> None:
    async with grpc.aio.insecure_channel(stack.grpc_addrs["identity"]) as channel:
        identity = identity_pb2_grpc.IdentityServiceStub(channel)
        before = stack.metric(
            "identity",
            "zhurnal_grpc_server_handled_total",
            grpc_method="GetInstitution",
            grpc_code="UNAUTHENTICATED",
        )
        with pytest.raises(grpc.aio.AioRpcError):
            await identity.GetInstitution(identity_pb2.GetInstitutionRequest(id="x"), timeout=5)
    after = stack.metric(
        "identity",
        "zhurnal_grpc_server_handled_total",
        grpc_method="GetInstitution",
        grpc_code="UNAUTHENTICATED",
    )
    assert after == before + 1
    assert (
        stack.metric(
            "identity", "zhurnal_grpc_server_handling_seconds_count", grpc_method="GetInstitution"
        )
        >= 1
    )
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        await http.get("/healthz")
        text = (await http.get("/metrics/")).text
    assert 'zhurnal_http_requests_total{method="GET",route="/healthz",status="200"}' in text


async def test_prometheus_scrapes_every_process(stack: Stack) -> None:
    async def all_up() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=stack.infra.prometheus_url) as http:
            reply = await http.get(
                "/api/v1/query", params={"query": f'up{{run="{stack.namespace}"}}'}
            )
        series = {r["metric"]["process"]: r["value"][1] for r in reply.json()["data"]["result"]}
        return series if series == dict.fromkeys(stack.specs, "1") else None

    await wait_for(all_up, timeout=60, what="Prometheus to scrape every process of the stack")
