"""The gRPC server every service runs: health, reflection, interceptors, graceful shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import grpc
import sqlalchemy.exc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from zhurnal_kit.auth import ANONYMOUS, TokenVerifier, current_caller
from zhurnal_kit.errors import DomainError, Unauthenticated
from zhurnal_kit.grpc_client import MAX_MESSAGE_BYTES
from zhurnal_kit.grpc_errors import status_code_for, to_status
from zhurnal_kit.logging import (
    new_request_id,
    request_id_var,
    trace_id_from_traceparent,
    trace_id_var,
)
from zhurnal_kit.metrics import GRPC_HANDLED, GRPC_LATENCY

log = logging.getLogger(__name__)

# Calls that must work without a caller: probes and tooling.
_PUBLIC_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")

if TYPE_CHECKING:  # the stubs' generics do not exist at run time
    Context = grpc.aio.ServicerContext[Any, Any]
    Handler = grpc.RpcMethodHandler[Any, Any]
    Behavior = Callable[[Any, Context], Awaitable[Any]]
Registrar = Callable[[grpc.aio.Server], None]


class CallInterceptor(grpc.aio.ServerInterceptor):
    """Per unary call: request and trace ids, caller identity, error mapping, log and metrics."""

    def __init__(self, verifier: TokenVerifier | None) -> None:
        self._verifier = verifier

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler  # streaming calls (health Watch) pass through untouched
        method: str = details.method
        metadata = dict(details.invocation_metadata or ())
        inner: Behavior = handler.unary_unary  # type: ignore[assignment]  # aio: a coroutine

        async def behavior(request: Any, context: Context) -> Any:
            return await self._around(inner, request, context, method, metadata)

        return grpc.unary_unary_rpc_method_handler(
            behavior,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    async def _around(
        self,
        inner: Behavior,
        request: Any,
        context: Context,
        method: str,
        metadata: dict[str, Any],
    ) -> Any:
        service_name, _, method_name = method.lstrip("/").rpartition("/")
        request_id_var.set(str(metadata.get("x-request-id") or new_request_id()))
        trace_id_var.set(trace_id_from_traceparent(str(metadata.get("traceparent", ""))))
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            current_caller.set(await self._caller(metadata, method))
            return await inner(request, context)
        except DomainError as error:
            code = status_code_for(error)
            status = to_status(error)
            log.info(
                "call refused",
                extra={
                    "method": method,
                    "code": code.name,
                    "reason": error.message,
                    "fields": {v.field: v.description for v in error.violations},
                },
            )
            await context.abort(status.code, status.details, status.trailing_metadata)
        except grpc.aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        except (sqlalchemy.exc.TimeoutError, sqlalchemy.exc.InterfaceError, OSError):
            # No database connection to be had (pool exhausted, database restarting): the
            # request did nothing, and a retry later may well succeed.
            code = grpc.StatusCode.UNAVAILABLE
            log.warning("database unavailable", extra={"method": method}, exc_info=True)
            await context.abort(
                code, f"the database is not available (request {request_id_var.get()})"
            )
        except Exception:
            code = grpc.StatusCode.INTERNAL
            log.exception("call failed", extra={"method": method})
            # The client gets no internals: the log has them, keyed by the request id.
            await context.abort(code, f"internal error (request {request_id_var.get()})")
        finally:
            elapsed = time.perf_counter() - started
            GRPC_HANDLED.labels(service_name, method_name, code.name).inc()
            GRPC_LATENCY.labels(service_name, method_name).observe(elapsed)
            log.debug(
                "call", extra={"method": method, "code": code.name, "ms": round(elapsed * 1000, 2)}
            )

    async def _caller(self, metadata: dict[str, Any], method: str) -> Any:
        authorization = str(metadata.get("authorization", ""))
        if not authorization or method.startswith(_PUBLIC_PREFIXES):
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("authorization metadata must be 'Bearer <token>'")
        if self._verifier is None:
            raise Unauthenticated("this server verifies no tokens")
        return await self._verifier.verify(token)


def settle_garbage_collector() -> None:
    """Move what start-up made (modules, stubs, descriptors: a few hundred thousand objects
    that live as long as the process) out of the collector's sight.

    A full collection walks every tracked object; with the start-up objects among them, one
    took tens of milliseconds in the middle of a request and set the 99th percentile of the
    journal grid. Frozen objects are never walked again.
    """
    gc.collect()
    gc.freeze()


class GrpcServer:
    """A grpc.aio server with health and reflection, stopped gracefully on SIGTERM/SIGINT."""

    def __init__(
        self,
        *,
        registrars: Iterable[Registrar],
        service_names: Iterable[str],
        bind: str,
        verifier: TokenVerifier | None,
        shutdown_grace_s: float = 10.0,
    ) -> None:
        self.server = grpc.aio.server(
            interceptors=[CallInterceptor(verifier)],
            # Clients reconnect every few minutes, so new replicas behind a Service get calls.
            options=[
                ("grpc.max_connection_age_ms", 300_000),
                ("grpc.max_connection_age_grace_ms", 30_000),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        for register in registrars:
            register(self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self._names = list(service_names)
        reflection.enable_server_reflection(
            [*self._names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        self.port = self.server.add_insecure_port(bind)
        self._grace = shutdown_grace_s

    async def start(self) -> None:
        """Start serving and report SERVING for the whole server and each service."""
        await self.server.start()
        for name in ["", *self._names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        """Report NOT_SERVING, then let in-flight calls finish within the grace period."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self._grace)

    async def serve_until_signalled(self) -> None:
        """Run until SIGTERM or SIGINT, then stop gracefully."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        settle_garbage_collector()
        log.info("grpc server serving", extra={"port": self.port, "services": self._names})
        await stop.wait()
        log.info("grpc server stopping")
        await self.stop()
