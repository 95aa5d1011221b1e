"""The one check that what a request names belongs to the study year and its institution:
groups of the year, subjects of the institution, teachers on its staff (curriculum, load,
timetable, plans)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zhurnal_curriculum.domain.calendar import StudyYear
from zhurnal_curriculum.service_layer.handlers import STAFF_ROLES
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.errors import FieldViolation, InvalidArgument


@dataclass(frozen=True)
class Reference:
    """The ids one line of a request names (empty: not named), and where it stands in the
    request: violations are ``<at><group_field>``, ``<at>subject_id``, ``<at>teacher_id``."""

    group_id: str = ""
    subject_id: str = ""
    teacher_id: str = ""
    at: str = ""
    group_field: str = "group_id"


async def check_references(
    uow: CurriculumUnitOfWork, year: StudyYear, references: Sequence[Reference], what: str
) -> None:
    """Every named group is one of ``year``, every subject the institution's and every
    teacher on its staff; else one InvalidArgument naming each bad field (``what`` says what
    the request is, for the message)."""
    groups = {g.id for g in await uow.groups.of_year(year.id)}
    subjects = {s.id for s in await uow.hours.subjects(year.institution_id)}
    teachers = sorted({r.teacher_id for r in references if r.teacher_id})
    staff = (
        await uow.people.holders(year.institution_id, STAFF_ROLES, teachers) if teachers else set()
    )
    problems = []
    for r in references:
        if r.group_id and r.group_id not in groups:
            problems.append(
                FieldViolation(r.at + r.group_field, "is not a group of this study year")
            )
        if r.subject_id and r.subject_id not in subjects:
            problems.append(
                FieldViolation(r.at + "subject_id", "is not a subject of the institution")
            )
        if r.teacher_id and r.teacher_id not in staff:
            problems.append(FieldViolation(r.at + "teacher_id", "is not staff of the institution"))
    if problems:
        raise InvalidArgument(f"{what} names unknown groups, subjects or teachers", problems)
