"""RFC 9457 problem details, and the one place where gRPC status becomes an HTTP answer."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import grpc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from zhurnal_gateway.i18n import gettext, language
from zhurnal_kit.errors import DomainError
from zhurnal_kit.grpc_errors import field_violations, status_code_for
from zhurnal_kit.logging import request_id_var

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_HTTP_FOR_GRPC: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNIMPLEMENTED: 501,
}

# The title of each status a person may read, in English; translated in the gettext
# catalogues (zhurnal_gateway/locale, see i18n.py).
_TITLES: dict[int, str] = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict with the current state",
    412: "Changed since it was read",
    422: "Invalid data",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal error",
    501: "Not implemented",
    503: "Service temporarily unavailable",
    504: "Service did not answer in time",
}


class FieldError(BaseModel):
    """One field that is wrong, and why."""

    field: str = Field(description="The request field, dotted for nested ones")
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[FieldError] = Field(default_factory=list)
    request_id: str = ""


def problem(
    request: Request, status: int, detail: str = "", errors: list[FieldError] | None = None
) -> JSONResponse:
    """A problem+json response in the client's language."""
    body = Problem(
        title=gettext(language(request), _TITLES.get(status, _TITLES[500])),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors or [],
        request_id=request_id_var.get(),
    )
    return JSONResponse(
        body.model_dump(exclude_defaults=True, exclude={"type"})
        | {
            "type": body.type,
            "title": body.title,
            "status": status,
        },
        status_code=status,
        media_type=PROBLEM_JSON,
    )


# A stale version names this field (the journal's expected_version); over HTTP the version
# travels in If-Match, so the conflict is a failed precondition of the request (412).
_VERSION_FIELDS = {"expected_version": "If-Match"}


class PreconditionRequired(DomainError):
    """A write that must say which version it changes and did not (428)."""


def http_status_for(code: grpc.StatusCode, fields: Iterable[str] = ()) -> int:
    """The HTTP status a gRPC status code (and the fields it names) becomes."""
    if code == grpc.StatusCode.ABORTED and any(f in _VERSION_FIELDS for f in fields):
        return 412
    return _HTTP_FOR_GRPC.get(code, 500)


async def on_rpc_error(request: Request, exc: Exception) -> JSONResponse:
    """A failed call to a service, as problem+json."""
    assert isinstance(exc, grpc.aio.AioRpcError)
    violations = field_violations(exc)
    status = http_status_for(exc.code(), [v.field for v in violations])
    if status >= 500:
        # Service internals stay in the logs; the client gets the request id to quote.
        log.error("service call failed", extra={"code": exc.code().name, "details": exc.details()})
        return problem(request, status)
    errors = [
        FieldError(field=_VERSION_FIELDS.get(v.field, v.field), detail=v.description)
        for v in violations
    ]
    return problem(request, status, exc.details() or "", errors)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Request validation failures: 400 for unreadable JSON, 422 naming each bad field."""
    assert isinstance(exc, RequestValidationError)
    errors: list[FieldError] = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return problem(
                request,
                400,
                "the body is not valid JSON",
                [FieldError(field="body", detail=str(error.get("msg", "")))],
            )
        location = [
            str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")
        ]
        errors.append(
            FieldError(field=".".join(location) or "body", detail=str(error.get("msg", "invalid")))
        )
    return problem(request, 422, "the request has invalid fields", errors)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Anything else: logged in full, answered without internals."""
    log.exception("unhandled error", exc_info=exc)
    return problem(request, 500)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem statuses a route may answer."""
    return {
        s: {
            "model": Problem,
            "description": _TITLES[s],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    """A rule the gateway itself enforces (e.g. a missing token), as problem+json."""
    assert isinstance(exc, DomainError)
    status = 428 if isinstance(exc, PreconditionRequired) else http_status_for(status_code_for(exc))
    response = problem(
        request,
        status,
        exc.message,
        [FieldError(field=v.field, detail=v.description) for v in exc.violations],
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="zhurnal"'
    return response
