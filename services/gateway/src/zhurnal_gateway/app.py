"""The gateway's FastAPI application."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import grpc
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from prometheus_client import make_asgi_app

from zhurnal_gateway.api import health, institutions, problems
from zhurnal_gateway.bootstrap import Gateway
from zhurnal_kit.errors import DomainError
from zhurnal_kit.logging import new_request_id, request_id_var
from zhurnal_kit.metrics import HTTP_LATENCY, HTTP_REQUESTS


def create_app(build: Callable[[], Gateway]) -> FastAPI:
    """The app; ``build`` runs in the lifespan, so importing this module does no I/O."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = build()
        try:
            yield
        finally:
            await app.state.gateway.close()

    app = FastAPI(
        title="Zhurnal API",
        version="1.0.0",
        summary="The district's electronic class journal",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.include_router(health.router)
    app.include_router(institutions.router)
    app.add_exception_handler(grpc.aio.AioRpcError, problems.on_rpc_error)
    app.add_exception_handler(RequestValidationError, problems.on_validation_error)
    app.add_exception_handler(DomainError, problems.on_domain_error)
    app.add_exception_handler(Exception, problems.on_unexpected)
    app.mount("/metrics", make_asgi_app())

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id", "")[:64] or new_request_id()
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = await call_next(request)
        # The route template, not the path, keeps the label set bounded.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        response.headers["X-Request-Id"] = request_id
        return response

    return app
