"""Typed domain errors. One place (grpc_errors) maps them to gRPC status codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldViolation:
    """A problem with one input field; ``field`` is the request field's name."""

    field: str
    description: str


@dataclass
class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    message: str
    violations: list[FieldViolation] = field(default_factory=list)
    # Protobuf messages the status carries besides the violations (e.g. the current state of
    # what a stale write tried to change), packed as google.protobuf.Any.
    details: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)


class InvalidArgument(DomainError):
    """The input breaks a rule; ``violations`` name the fields."""


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class AlreadyExists(DomainError):
    """A unique thing (a code, a login) is taken; ``violations`` name the field."""


class Conflict(DomainError):
    """A concurrent change won; the caller should reload and retry."""


class FailedPrecondition(DomainError):
    """The system is not in a state that allows the operation (e.g. a closed period)."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class Unavailable(DomainError):
    """A dependency (Keycloak, another service) cannot be reached; retrying later is safe."""


class Unauthenticated(DomainError):
    """The caller did not prove who they are."""


def invalid(field_name: str, description: str) -> InvalidArgument:
    """Shorthand for a one-field InvalidArgument."""
    return InvalidArgument(description, [FieldViolation(field_name, description)])
