"""gRPC status to HTTP, in one place, and the client's language."""

import grpc
import pytest
from starlette.requests import Request

from zhurnal_gateway.api.problems import http_status_for
from zhurnal_gateway.i18n import language


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 422),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.ABORTED, 409),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.UNKNOWN, 500),
    ],
)
def test_status_mapping(code: grpc.StatusCode, status: int) -> None:
    assert http_status_for(code) == status


def request_with(accept_language: str) -> Request:
    return Request({"type": "http", "headers": [(b"accept-language", accept_language.encode())]})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "ru"),
        ("en-US,en;q=0.9", "en"),
        ("ru-RU,en;q=0.5", "ru"),
        ("de, en;q=0.3", "en"),
        ("fr", "ru"),
    ],
)
def test_russian_unless_english_is_preferred(header: str, expected: str) -> None:
    assert language(request_with(header)) == expected


def test_a_stale_version_is_a_failed_precondition_of_the_request() -> None:
    # The journal's ABORTED on expected_version: over HTTP the version rode in If-Match.
    assert http_status_for(grpc.StatusCode.ABORTED, ["expected_version"]) == 412
    assert http_status_for(grpc.StatusCode.ABORTED, ["other"]) == 409
