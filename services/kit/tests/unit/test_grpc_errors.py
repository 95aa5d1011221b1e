"""Domain errors become rich gRPC status and back."""

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from zhurnal_kit.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    invalid,
)
from zhurnal_kit.grpc_errors import status_code_for, to_status


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (invalid("code", "bad"), grpc.StatusCode.INVALID_ARGUMENT),
        (NotFound("x"), grpc.StatusCode.NOT_FOUND),
        (AlreadyExists("x"), grpc.StatusCode.ALREADY_EXISTS),
        (Conflict("x"), grpc.StatusCode.ABORTED),
        (FailedPrecondition("x"), grpc.StatusCode.FAILED_PRECONDITION),
        (PermissionDenied("x"), grpc.StatusCode.PERMISSION_DENIED),
        (Unauthenticated("x"), grpc.StatusCode.UNAUTHENTICATED),
    ],
)
def test_each_domain_error_has_its_code(error: DomainError, code: grpc.StatusCode) -> None:
    assert status_code_for(error) == code


def test_field_violations_travel_as_bad_request_details() -> None:
    status = to_status(AlreadyExists("taken", [FieldViolation("code", "is used")]))
    assert status.code == grpc.StatusCode.ALREADY_EXISTS
    assert status.details == "taken"
    ((key, value),) = status.trailing_metadata
    assert key == "grpc-status-details-bin"
    decoded = rpc_status.status_pb2.Status.FromString(value)
    bad_request = error_details_pb2.BadRequest()
    assert decoded.details[0].Unpack(bad_request)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [("code", "is used")]
