"""The kit's gRPC server and client in-process: deadlines, identity metadata, graceful stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from zhurnal_kit.auth import Caller, TokenVerifier, current_caller
from zhurnal_kit.errors import NotFound, Unauthenticated
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.grpc_server import GrpcServer
from zhurnal_kit.logging import request_id_var

seen_metadata: list[dict[str, Any]] = []


async def slow(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    seen_metadata.append(dict(context.invocation_metadata() or ()))
    await asyncio.sleep(float(request.decode() or 0))
    return b"done"


async def missing(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise NotFound("no such thing")


async def broken(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    raise RuntimeError("secret internals")


async def size(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return str(len(request)).encode()


def register(server: grpc.aio.Server) -> None:
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(fn)
        for name, fn in (("Slow", slow), ("Missing", missing), ("Broken", broken), ("Size", size))
    }
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Test", handlers)])


class AcceptingVerifier(TokenVerifier):
    """A fake of the token port: "good" is a valid token, anything else is not."""

    def __init__(self) -> None:
        super().__init__("http://keycloak.test/realms/zhurnal")

    async def verify(self, token: str) -> Caller:
        if token != "good":
            raise Unauthenticated("invalid token")
        return Caller(subject="u-1", token=token)


@pytest.fixture
async def server() -> AsyncIterator[GrpcServer]:
    server = GrpcServer(
        registrars=[register],
        service_names=["test.Test"],
        bind="127.0.0.1:0",
        verifier=AcceptingVerifier(),
        shutdown_grace_s=5,
    )
    await server.start()
    yield server
    await server.stop()


def call(channel: grpc.aio.Channel, method: str) -> Any:
    return channel.unary_unary(f"/test.Test/{method}")


async def test_the_client_sets_a_deadline_when_the_caller_sets_none(server: GrpcServer) -> None:
    async with make_channel(f"127.0.0.1:{server.port}", default_timeout_s=0.2) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(channel, "Slow")(b"2")
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_the_client_passes_request_id_trace_and_the_callers_token(
    server: GrpcServer,
) -> None:
    request_id_var.set("req-42")
    current_caller.set(Caller(subject="u-1", token="good"))
    async with make_channel(f"127.0.0.1:{server.port}") as channel:
        assert await call(channel, "Slow")(b"0") == b"done"
    metadata = seen_metadata[-1]
    assert metadata["x-request-id"] == "req-42"
    assert metadata["authorization"] == "Bearer good"
    assert metadata["traceparent"].startswith("00-")


async def test_domain_errors_map_and_internals_stay_inside(server: GrpcServer) -> None:
    async with make_channel(f"127.0.0.1:{server.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as missing_error:
            await call(channel, "Missing")(b"")
        with pytest.raises(grpc.aio.AioRpcError) as broken_error:
            await call(channel, "Broken")(b"")
    assert missing_error.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing_error.value.details() == "no such thing"
    assert broken_error.value.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in (broken_error.value.details() or "")


async def test_a_bad_token_is_refused_before_the_handler_runs(server: GrpcServer) -> None:
    calls = len(seen_metadata)
    async with make_channel(f"127.0.0.1:{server.port}") as channel:
        for header in ("Bearer forged", "Basic dXNlcjpwdw=="):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(channel, "Slow")(b"0", metadata=[("authorization", header)])
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert len(seen_metadata) == calls


async def test_stop_lets_calls_in_flight_finish() -> None:
    server = GrpcServer(
        registrars=[register],
        service_names=["test.Test"],
        bind="127.0.0.1:0",
        verifier=None,
        shutdown_grace_s=5,
    )
    await server.start()
    async with make_channel(f"127.0.0.1:{server.port}") as channel:
        in_flight = asyncio.ensure_future(call(channel, "Slow")(b"0.5"))
        await asyncio.sleep(0.1)
        await server.stop()
        assert await in_flight == b"done"


async def test_an_upload_above_grpcs_default_4_mb_reaches_the_service(server: GrpcServer) -> None:
    # Identity takes import files up to 10 MB; the transport must not refuse them first.
    async with make_channel(f"127.0.0.1:{server.port}") as channel:
        reply = await call(channel, "Size")(b"x" * (10 * 1024 * 1024))
    assert reply == str(10 * 1024 * 1024).encode()
