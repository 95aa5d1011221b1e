"""Role bindings: who holds which role, where, from when until when, and on what basis."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from zhurnal_kit.errors import FieldViolation, InvalidArgument


class Role(StrEnum):
    """The roles of the regulation (R-1.5, R-3, R-4, R-5)."""

    ADMINISTRATOR = "administrator"
    DIRECTOR = "director"
    DEPUTY = "deputy"
    TEACHER = "teacher"
    STUDENT = "student"
    GUARDIAN = "guardian"
    INSPECTOR = "inspector"
    DISTRICT_ADMINISTRATOR = "district-administrator"
    DISTRICT_ANALYST = "district-analyst"

    @property
    def is_district(self) -> bool:
        """District roles are bound to no institution: they span all of them."""
        return self in (Role.DISTRICT_ADMINISTRATOR, Role.DISTRICT_ANALYST)


STAFF_ROLES = frozenset({Role.ADMINISTRATOR, Role.DIRECTOR, Role.DEPUTY, Role.TEACHER})


@dataclass(frozen=True)
class Basis:
    """The written ground of a grant: number and date of an application or order (R-4.4)."""

    number: str = ""
    date: date | None = None


@dataclass(frozen=True)
class RoleBinding:
    """Person x institution x role, valid from .. until, granted by someone on a basis."""

    id: str
    person_id: str
    institution_id: str  # '' for district roles
    role: Role
    valid_from: datetime
    valid_until: datetime | None
    granted_by: str
    basis: Basis = Basis()
    # Inspector bindings name the actions they allow (R-4.1: "scoped individually").
    scope: frozenset[str] = field(default_factory=frozenset)
    ended_at: datetime | None = None
    end_reason: str = ""

    @classmethod
    def grant(
        cls,
        *,
        person_id: str,
        institution_id: str,
        role: Role,
        valid_from: datetime,
        valid_until: datetime | None,
        granted_by: str,
        basis: Basis = Basis(),
        scope: frozenset[str] = frozenset(),
        requires_basis: bool = False,
    ) -> RoleBinding:
        """A new binding, or InvalidArgument naming each bad field."""
        problems = []
        if role.is_district and institution_id:
            problems.append(FieldViolation("institution_id", "must be empty for a district role"))
        if not role.is_district and not institution_id:
            problems.append(FieldViolation("institution_id", "must name the institution"))
        if valid_until is not None and valid_until <= valid_from:
            problems.append(FieldViolation("valid_until", "must be after valid_from"))
        if requires_basis and not (basis.number.strip() and basis.date):
            problems.append(
                FieldViolation(
                    "basis", "the number and date of the application or order are required"
                )
            )
        if len(basis.number) > 100:
            problems.append(FieldViolation("basis.number", "must be at most 100 characters"))
        if role == Role.INSPECTOR and not scope:
            problems.append(FieldViolation("scope", "an inspector's binding must name actions"))
        if role != Role.INSPECTOR and scope:
            problems.append(FieldViolation("scope", "only inspector bindings name actions"))
        if problems:
            raise InvalidArgument("the role binding is not valid", problems)
        return cls(
            id=str(uuid.uuid4()),
            person_id=person_id,
            institution_id=institution_id,
            role=role,
            valid_from=valid_from,
            valid_until=valid_until,
            granted_by=granted_by,
            basis=replace(basis, number=basis.number.strip()),
            scope=scope,
        )

    def active_at(self, now: datetime) -> bool:
        """In force at ``now``: started, not past its end, not ended early."""
        return (
            self.ended_at is None
            and self.valid_from <= now
            and (self.valid_until is None or now < self.valid_until)
        )

    def end(self, *, at: datetime, reason: str) -> RoleBinding:
        """This binding, ended at ``at`` for ``reason``."""
        return replace(self, ended_at=at, end_reason=reason)
