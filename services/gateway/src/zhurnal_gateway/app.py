"""The gateway's FastAPI application."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from prometheus_client import make_asgi_app

from zhurnal_gateway.api import (
    groups,
    health,
    institutions,
    journal,
    people,
    periods,
    problems,
    subjects,
)
from zhurnal_gateway.bootstrap import Gateway
from zhurnal_gateway.sessions import SESSION_COOKIE, SessionManager
from zhurnal_gateway.web import PAGE_MODULES
from zhurnal_gateway.web import errors as page_errors
from zhurnal_gateway.web.render import STATIC
from zhurnal_gateway.web.viewer import SignInRequired
from zhurnal_kit.errors import DomainError
from zhurnal_kit.logging import new_request_id, request_id_var
from zhurnal_kit.metrics import HTTP_LATENCY, HTTP_REQUESTS
from zhurnal_kit.migrations import apply_migrations


def create_app(build: Callable[[], Gateway]) -> FastAPI:
    """The app; ``build`` runs in the lifespan, so importing this module does no I/O.

    The lifespan also brings the gateway's database (its sessions) to the newest migration.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = build()
        app.state.gateway = gateway
        try:
            if gateway.settings.run_migrations:
                await apply_migrations(
                    "zhurnal_gateway", gateway.settings.database_url.get_secret_value()
                )
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
    app.include_router(journal.router)
    app.include_router(people.router)
    app.include_router(groups.router)
    app.include_router(periods.router)
    app.include_router(subjects.router)
    for module in PAGE_MODULES:
        app.include_router(module.router)
    app.state.menu = [item for module in PAGE_MODULES for item in module.MENU]
    app.add_exception_handler(SignInRequired, page_errors.on_sign_in_required)
    app.add_exception_handler(
        grpc.aio.AioRpcError, _pages_or_api(page_errors.on_rpc_error, problems.on_rpc_error)
    )
    app.add_exception_handler(RequestValidationError, problems.on_validation_error)
    app.add_exception_handler(
        DomainError, _pages_or_api(page_errors.on_domain_error, problems.on_domain_error)
    )
    app.add_exception_handler(
        Exception, _pages_or_api(page_errors.on_unexpected, problems.on_unexpected)
    )
    app.mount("/metrics", make_asgi_app())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id", "")[:64] or new_request_id()
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = await call_next(request)
        _clear_ended_session_cookie(request, response)
        # The route template, not the path, keeps the label set bounded.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        response.headers["X-Request-Id"] = request_id
        return response

    return app


def _pages_or_api(
    on_page: Callable[[Request, Any], Response],
    on_api: Callable[[Request, Exception], Awaitable[Response]],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """One error handler: an HTML page for the web UI, problem+json for everything else."""

    async def handle(request: Request, exc: Exception) -> Response:
        if page_errors.is_page(request):
            return on_page(request, exc)
        return await on_api(request, exc)

    return handle


def _clear_ended_session_cookie(request: Request, response: Response) -> None:
    """A request whose session ended (expired, revoked, logged out) tells the browser too."""
    if not SessionManager.cookie_to_clear(request):
        return
    sets_cookie = any(
        value.startswith(f"{SESSION_COOKIE}=") for value in response.headers.getlist("set-cookie")
    )
    if not sets_cookie:
        request.app.state.gateway.sessions.clear_session_cookie(response, request)
