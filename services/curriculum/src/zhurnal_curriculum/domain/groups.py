"""Groups and enrolment: school classes and the associations of additional education.

A class has one year of study; an association may mix ages and years of study. A student may
be in several groups at once (a class and two associations). Enrolment keeps its history:
joining, leaving and transfers are dated records with a reason, never overwritten, so the
roster of any date can be answered (the journal asks for it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from zhurnal_kit.errors import FailedPrecondition, FieldViolation, InvalidArgument

# Twelve years of school at most (and additional education counts years the same way).
MAX_YEAR_OF_STUDY = 12


class GroupKind(StrEnum):
    """A school class or an association (кружок, секция) of additional education."""

    CLASS = "class"
    ASSOCIATION = "association"


@dataclass(frozen=True)
class Group:
    """A set of students taught together in a study year."""

    id: str
    institution_id: str
    study_year_id: str
    name: str
    kind: GroupKind
    # Years of study in the group: one for a class, possibly several for an association.
    years_of_study: frozenset[int]
    starts: date  # the first day the group exists (enrolment cannot come earlier)
    ends: date | None = None

    @classmethod
    def create(
        cls,
        *,
        institution_id: str,
        study_year_id: str,
        name: str,
        kind: GroupKind,
        years_of_study: frozenset[int],
        starts: date,
        ends: date | None = None,
    ) -> Group:
        """A new group, or InvalidArgument naming each bad field."""
        name = name.strip()
        problems = []
        if not name or len(name) > 100:
            problems.append(FieldViolation("name", "is required (at most 100 characters)"))
        if not years_of_study or not all(1 <= y <= MAX_YEAR_OF_STUDY for y in years_of_study):
            problems.append(
                FieldViolation("years_of_study", f"must be years 1 to {MAX_YEAR_OF_STUDY}")
            )
        elif kind == GroupKind.CLASS and len(years_of_study) != 1:
            problems.append(FieldViolation("years_of_study", "a class has one year of study"))
        if ends is not None and ends < starts:
            problems.append(FieldViolation("ends", "must not be before starts"))
        if problems:
            raise InvalidArgument("the group is not valid", problems)
        return cls(
            id=str(uuid.uuid4()),
            institution_id=institution_id,
            study_year_id=study_year_id,
            name=name,
            kind=kind,
            years_of_study=years_of_study,
            starts=starts,
            ends=ends,
        )


@dataclass(frozen=True)
class Enrolment:
    """A student's membership of a group from one date until another (or open)."""

    id: str
    group_id: str
    student_id: str
    joined: date
    join_reason: str
    left: date | None = None
    leave_reason: str = ""

    def active_on(self, day: date) -> bool:
        """The student is in the group on ``day`` (the leaving day is their last)."""
        return self.joined <= day and (self.left is None or day <= self.left)


def _reason(value: str, field_name: str) -> str:
    value = value.strip()
    if not value or len(value) > 500:
        raise InvalidArgument(
            "a reason is required",
            [
                FieldViolation(
                    field_name, "is required (at most 500 characters), e.g. the order number"
                )
            ],
        )
    return value


def enrol(
    group: Group, student_id: str, *, joined: date, reason: str, current: list[Enrolment]
) -> Enrolment:
    """Enrol a student; refused before the group exists or when already enrolled then."""
    reason = _reason(reason, "reason")
    if joined < group.starts:
        raise InvalidArgument(
            "the group does not exist yet",
            [
                FieldViolation(
                    "joined", f"the group «{group.name}» starts on {group.starts.isoformat()}"
                )
            ],
        )
    if group.ends is not None and joined > group.ends:
        raise InvalidArgument(
            "the group has ended",
            [
                FieldViolation(
                    "joined", f"the group «{group.name}» ended on {group.ends.isoformat()}"
                )
            ],
        )
    if any(
        e.student_id == student_id
        and e.group_id == group.id
        and (e.left is None or e.left >= joined)
        for e in current
    ):
        raise FailedPrecondition(
            "already enrolled",
            [FieldViolation("student_id", f"is already in «{group.name}» on {joined.isoformat()}")],
        )
    return Enrolment(
        id=str(uuid.uuid4()),
        group_id=group.id,
        student_id=student_id,
        joined=joined,
        join_reason=reason,
    )


def leave(enrolment: Enrolment, *, left: date, reason: str) -> Enrolment:
    """End an enrolment on ``left`` (the record stays: history is kept)."""
    reason = _reason(reason, "reason")
    if enrolment.left is not None:
        raise FailedPrecondition(
            "the student has already left", [FieldViolation("enrolment_id", "is already ended")]
        )
    if left < enrolment.joined:
        raise InvalidArgument(
            "cannot leave before joining",
            [FieldViolation("left", f"the student joined on {enrolment.joined.isoformat()}")],
        )
    return replace(enrolment, left=left, leave_reason=reason)


def transfer(
    enrolment: Enrolment, to: Group, *, on: date, reason: str, current: list[Enrolment]
) -> tuple[Enrolment, Enrolment]:
    """Move a student to another group from ``on``: the old enrolment ends the day before."""
    ended = leave(enrolment, left=on - timedelta(days=1), reason=reason)
    others = [e for e in current if e.id != enrolment.id]
    return ended, enrol(to, enrolment.student_id, joined=on, reason=reason, current=others)


def roster(enrolments: list[Enrolment], group_id: str, day: date) -> list[str]:
    """The students of a group on a day."""
    return [e.student_id for e in enrolments if e.group_id == group_id and e.active_on(day)]
