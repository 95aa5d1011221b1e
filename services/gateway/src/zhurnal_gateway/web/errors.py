"""Errors on pages: a readable page in the person's language, never a stack trace.

A service that is down spoils only the pages that need it: they answer 503 with a message and
the menu, and every other page keeps working. The API's errors stay problem+json (api/problems.py);
the status a gRPC code becomes is decided there, once.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import grpc
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from zhurnal_gateway.api.problems import http_status_for
from zhurnal_gateway.web.render import page
from zhurnal_gateway.web.viewer import SignInRequired
from zhurnal_kit.errors import DomainError
from zhurnal_kit.grpc_errors import field_violations, status_code_for
from zhurnal_kit.logging import request_id_var

log = logging.getLogger(__name__)

_NOT_PAGES = ("/api/", "/healthz", "/readyz", "/metrics", "/static/")

# English message ids of what a person reads for each status.
_MESSAGES = {
    400: "The request could not be carried out.",
    401: "Please sign in again.",
    403: "You may not see or change this.",
    404: "There is nothing here, or it is not yours to see.",
    409: "Someone changed this at the same time. Open it again to see the current state.",
    412: "Someone changed this at the same time. Open it again to see the current state.",
    422: "Some fields are filled in wrongly.",
    503: "This part of Zhurnal is not available right now. The other pages keep working; "
    "please try again in a few minutes.",
    504: "This part of Zhurnal is not answering right now. The other pages keep working; "
    "please try again in a few minutes.",
    500: "Something went wrong on our side. Quote the request number to the support team.",
}


def is_page(request: Request) -> bool:
    """True for the web UI's paths (the API, health and metrics answer in their own way)."""
    path = request.url.path
    return not any(path.startswith(prefix) for prefix in _NOT_PAGES)


def _error_page(request: Request, status: int, details: list[str] | None = None) -> Response:
    return page(
        request,
        "error.html",
        {
            "status": status,
            "message": _MESSAGES.get(status, _MESSAGES[500]),
            "details": details or [],
            "request_id": request_id_var.get(),
        },
        viewer=getattr(request.state, "viewer", None),
        status_code=status,
    )


def on_sign_in_required(request: Request, exc: Exception) -> Response:
    """To Keycloak's login, coming back to the page asked for."""
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/login?{urlencode({'next': exc.next_path})}", status_code=303)


def on_rpc_error(request: Request, exc: grpc.aio.AioRpcError) -> Response:
    """A service call of a page failed: say what it means for the person."""
    violations = field_violations(exc)
    status = http_status_for(exc.code(), [v.field for v in violations])
    if status >= 500:
        log.error("page's service call failed", extra={"code": exc.code().name})
        return _error_page(request, status)
    return _error_page(request, status, [v.description for v in violations])


def on_domain_error(request: Request, exc: DomainError) -> Response:
    """A rule the gateway enforces (a missing CSRF token, bad input)."""
    status = http_status_for(status_code_for(exc))
    return _error_page(request, status, [v.description for v in exc.violations])


def on_unexpected(request: Request, exc: Exception) -> Response:
    """Anything else: logged in full, shown without internals."""
    log.exception("unhandled error on a page", exc_info=exc)
    return _error_page(request, 500)
