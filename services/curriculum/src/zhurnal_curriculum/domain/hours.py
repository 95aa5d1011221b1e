"""The curriculum (учебный план) and the teaching load (нагрузка) checked against it (R-1.4, R-5).

The curriculum gives each group its hours per subject (or programme of additional education)
for the study year, split by study period where the institution does so; a line may belong to
one student (an individual curriculum). The teaching load says which teacher teaches which
subject to which group and for how many hours; several teachers may share a group's subject
(a class split into two for a foreign language). check_load tells the deputy, in Russian,
every place where the two disagree.

Hours are whole academic hours for the year (1..MAX_HOURS): the journal counts lessons, and a
curriculum written per week (0.5 h a week for 34 weeks) still comes to whole hours a year.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeVar

from zhurnal_kit.errors import FieldViolation, InvalidArgument

MIN_HOURS, MAX_HOURS = 1, 2000
MAX_SUBJECT_NAME = 200
MAX_SUBGROUP = 50


class SubjectKind(StrEnum):
    """A school subject, or a programme of additional education (кружок, секция)."""

    SUBJECT = "subject"
    PROGRAMME = "programme"


@dataclass(frozen=True)
class Subject:
    """A subject or programme an institution teaches."""

    id: str
    name: str
    kind: SubjectKind = SubjectKind.SUBJECT

    @classmethod
    def create(cls, *, id: str, name: str, kind: SubjectKind = SubjectKind.SUBJECT) -> Subject:
        """A subject with its name tidied (NFC, single spaces), or InvalidArgument."""
        name = _tidy(name)
        problems = []
        if not id.strip():
            problems.append(FieldViolation("id", "is required"))
        if not name or len(name) > MAX_SUBJECT_NAME:
            problems.append(
                FieldViolation("name", f"is required (at most {MAX_SUBJECT_NAME} characters)")
            )
        if problems:
            raise InvalidArgument("the subject is not valid", problems)
        return cls(id=id.strip(), name=name, kind=kind)


_Line = TypeVar("_Line", "CurriculumLine", "LoadLine")

# (group_id, subject_id, student_id): what the curriculum and the load are compared by.
Key = tuple[str, str, str | None]


@dataclass(frozen=True)
class CurriculumLine:
    """Hours of one subject for one group (or one student of it) in a study year."""

    group_id: str
    subject_id: str
    hours: int
    # Study period id -> hours in that period, summing to ``hours``; empty when the
    # institution plans the year as a whole. A period may have 0 hours (not taught then).
    periods: Mapping[str, int] = field(default_factory=dict, hash=False)
    # Set for a line of a student's individual curriculum; None for the whole group.
    student_id: str | None = None

    @property
    def key(self) -> Key:
        """What load lines are matched by."""
        return (self.group_id, self.subject_id, self.student_id)

    def validated(
        self, *, prefix: str = "", period_ids: Collection[str] | None = None
    ) -> CurriculumLine:
        """This line, or InvalidArgument naming each bad field (``prefix`` + field name).

        ``period_ids``: the periods of the study year; when given, the split may name no other.
        """
        problems = _ids(prefix, group_id=self.group_id, subject_id=self.subject_id)
        if self.student_id is not None and not self.student_id.strip():
            problems.append(FieldViolation(prefix + "student_id", "must not be empty when set"))
        problems += _hours(prefix + "hours", self.hours)
        if self.periods:
            before = len(problems)
            for period_id, hours in self.periods.items():
                name = f"{prefix}periods[{period_id}]"
                if not period_id.strip():
                    problems.append(FieldViolation(prefix + "periods", "a period id is empty"))
                elif period_ids is not None and period_id not in period_ids:
                    problems.append(FieldViolation(name, "is not a period of the study year"))
                if not _is_int(hours) or not 0 <= hours <= MAX_HOURS:
                    problems.append(
                        FieldViolation(name, f"must be whole hours from 0 to {MAX_HOURS}")
                    )
            total = sum(h for h in self.periods.values() if _is_int(h))
            if len(problems) == before and total != self.hours:
                problems.append(
                    FieldViolation(
                        prefix + "periods",
                        f"the periods sum to {total} hours, the year has {self.hours}",
                    )
                )
        if problems:
            raise InvalidArgument("the curriculum line is not valid", problems)
        return CurriculumLine(
            group_id=self.group_id,
            subject_id=self.subject_id,
            hours=self.hours,
            periods=dict(self.periods),
            student_id=self.student_id,
        )


@dataclass(frozen=True)
class LoadLine:
    """A teacher's hours of one subject in one group (or with one student of it).

    Teachers who share a group's subject one after another (one until January, another
    after) have lines without a subgroup: their hours add up to the curriculum's. When the
    group is split for the subject (two subgroups for a foreign language, each taught the
    whole curriculum), each line names its subgroup and each subgroup's hours must equal
    the curriculum's; lines without a subgroup then count towards every subgroup.
    """

    teacher_id: str
    group_id: str
    subject_id: str
    hours: int
    # Set when the teacher teaches one student by an individual curriculum.
    student_id: str | None = None
    # The subgroup's label («1», «девочки») when the group is split for the subject.
    subgroup: str | None = None

    @property
    def key(self) -> Key:
        """The curriculum line this load line covers."""
        return (self.group_id, self.subject_id, self.student_id)

    def validated(self, *, prefix: str = "") -> LoadLine:
        """This line, or InvalidArgument naming each bad field (``prefix`` + field name)."""
        problems = _ids(
            prefix, teacher_id=self.teacher_id, group_id=self.group_id, subject_id=self.subject_id
        )
        if self.student_id is not None and not self.student_id.strip():
            problems.append(FieldViolation(prefix + "student_id", "must not be empty when set"))
        subgroup = None if self.subgroup is None else _tidy(self.subgroup)
        if subgroup is not None and not 1 <= len(subgroup) <= MAX_SUBGROUP:
            problems.append(
                FieldViolation(
                    prefix + "subgroup", f"must be 1 to {MAX_SUBGROUP} characters when set"
                )
            )
        problems += _hours(prefix + "hours", self.hours)
        if problems:
            raise InvalidArgument("the load line is not valid", problems)
        return replace(self, subgroup=subgroup)


def validate_curriculum(
    lines: Iterable[CurriculumLine],
    *,
    field_name: str = "lines",
    period_ids: Collection[str] | None = None,
) -> list[CurriculumLine]:
    """Every line valid and no (group, subject, student) twice; else one InvalidArgument.

    Violations are named ``lines[i].hours`` and so on (``field_name`` replaces ``lines``).
    """
    return _validate(
        list(lines),
        field_name,
        lambda line, prefix: line.validated(prefix=prefix, period_ids=period_ids),
        lambda line: line.key,
        "the curriculum is not valid",
    )


def validate_load(lines: Iterable[LoadLine], *, field_name: str = "lines") -> list[LoadLine]:
    """Every line valid and no (teacher, group, subject, student) twice; else InvalidArgument."""
    return _validate(
        list(lines),
        field_name,
        lambda line, prefix: line.validated(prefix=prefix),
        lambda line: (line.teacher_id, *line.key, line.subgroup),
        "the teaching load is not valid",
    )


def hours_for(
    curriculum: Iterable[CurriculumLine],
    group_id: str,
    subject_id: str,
    student_id: str | None = None,
) -> int | None:
    """The curriculum's hours for a group's subject (a lesson plan must match them), or None."""
    found = [line.hours for line in curriculum if line.key == (group_id, subject_id, student_id)]
    return sum(found) if found else None


# --- the load check ------------------------------------------------------------------------


class MismatchKind(StrEnum):
    """How the teaching load disagrees with a curriculum line."""

    UNCOVERED = "uncovered"  # a curriculum line nobody teaches
    UNDER = "under"  # fewer hours distributed than the curriculum has
    OVER = "over"  # more hours distributed than the curriculum has
    NOT_IN_CURRICULUM = "not_in_curriculum"  # load for a subject the curriculum lacks


@dataclass(frozen=True)
class Names:
    """Display names by id, for messages; an id without a name is shown as the id."""

    groups: Mapping[str, str] = field(default_factory=dict)
    subjects: Mapping[str, str] = field(default_factory=dict)
    students: Mapping[str, str] = field(default_factory=dict)
    teachers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        *,
        groups: Mapping[str, str] | None = None,
        subjects: Iterable[Subject] = (),
        students: Mapping[str, str] | None = None,
        teachers: Mapping[str, str] | None = None,
    ) -> Names:
        """Names with subject names taken from Subject objects."""
        return cls(
            groups=dict(groups or {}),
            subjects={subject.id: subject.name for subject in subjects},
            students=dict(students or {}),
            teachers=dict(teachers or {}),
        )

    def group(self, group_id: str) -> str:
        """The group's name, or its id."""
        return self.groups.get(group_id) or group_id

    def subject(self, subject_id: str) -> str:
        """The subject's name, or its id."""
        return self.subjects.get(subject_id) or subject_id

    def student(self, student_id: str) -> str:
        """The student's name, or their id."""
        return self.students.get(student_id) or student_id

    def teacher(self, teacher_id: str) -> str:
        """The teacher's name, or their id."""
        return self.teachers.get(teacher_id) or teacher_id

    def line(self, key: Key) -> str:
        """'7А, Математика' or '7А, Математика (индивидуальный план, Иванов Иван)'."""
        group_id, subject_id, student_id = key
        text = f"{self.group(group_id)}, {self.subject(subject_id)}"
        if student_id is not None:
            text += f" (индивидуальный план, {self.student(student_id)})"
        return text


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between the curriculum and the teaching load, for the deputy."""

    kind: MismatchKind
    group_id: str
    subject_id: str
    student_id: str | None
    subgroup: str | None  # set when one subgroup of a split group is off
    expected: int  # the curriculum's hours; 0 when not in the curriculum
    actual: int  # hours distributed in the load; 0 when uncovered
    # (teacher_id, hours) of the load lines concerned, in load order.
    teachers: tuple[tuple[str, int], ...]
    message: str

    @property
    def key(self) -> Key:
        """(group_id, subject_id, student_id)."""
        return (self.group_id, self.subject_id, self.student_id)

    @property
    def difference(self) -> int:
        """Load minus curriculum: negative when hours are missing."""
        return self.actual - self.expected


def check_load(
    curriculum: Iterable[CurriculumLine],
    load: Iterable[LoadLine],
    names: Names | None = None,
) -> list[Mismatch]:
    """Every disagreement of the load with the curriculum; empty when they agree.

    Compared by (group, subject, student): an individual curriculum line is covered only by
    load lines for that student, a group line only by load lines without a student. Hours of
    teachers who share the subject add up; a split group is compared subgroup by subgroup
    (see LoadLine). Year totals are compared: the load is set for the year, and a curriculum
    line's period split is checked by CurriculumLine.validated. Sorted as the deputy reads
    them: by group (7А before 10А), subject, student, subgroup.
    """
    names = names or Names()
    expected: dict[Key, int] = {}
    for line in curriculum:
        expected[line.key] = expected.get(line.key, 0) + line.hours
    given: dict[Key, list[LoadLine]] = {}
    for item in load:
        given.setdefault(item.key, []).append(item)

    mismatches = []
    for key, hours in expected.items():
        lines = given.get(key, [])
        if not lines:
            message = f"{names.line(key)}: по учебному плану {hours} ч, в нагрузке учителей нет"
            mismatches.append(_mismatch(MismatchKind.UNCOVERED, key, None, hours, [], message))
            continue
        whole = [line for line in lines if line.subgroup is None]
        subgroups = dict.fromkeys(x.subgroup for x in lines if x.subgroup is not None)
        parts: list[tuple[str | None, list[LoadLine]]] = [
            (subgroup, whole + [line for line in lines if line.subgroup == subgroup])
            for subgroup in subgroups
        ] or [(None, whole)]
        for subgroup, concerned in parts:
            actual = sum(line.hours for line in concerned)
            if actual == hours:
                continue
            where = names.line(key) + (f", подгруппа {subgroup}" if subgroup else "")
            off = (
                f"не хватает {hours - actual} ч" if actual < hours else f"лишние {actual - hours} ч"
            )
            message = f"{where}: по учебному плану {hours} ч, распределено {actual} ч ({off})"
            kind = MismatchKind.UNDER if actual < hours else MismatchKind.OVER
            mismatches.append(_mismatch(kind, key, subgroup, hours, concerned, message))
    for key, lines in given.items():
        if key in expected:
            continue
        actual = sum(line.hours for line in lines)
        who = ", ".join(f"{names.teacher(line.teacher_id)} — {line.hours} ч" for line in lines)
        plan = "учебном плане" if key[2] is None else "индивидуальном учебном плане"
        message = f"{names.line(key)}: нет в {plan}, а в нагрузке {actual} ч ({who})"
        mismatches.append(_mismatch(MismatchKind.NOT_IN_CURRICULUM, key, None, 0, lines, message))
    return sorted(mismatches, key=lambda m: _sort_key(m, names))


# --- helpers -------------------------------------------------------------------------------


def _tidy(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _hours(name: str, hours: object) -> list[FieldViolation]:
    if isinstance(hours, int) and not isinstance(hours, bool) and MIN_HOURS <= hours <= MAX_HOURS:
        return []
    return [FieldViolation(name, f"must be whole academic hours from {MIN_HOURS} to {MAX_HOURS}")]


def _ids(prefix: str, **ids: str) -> list[FieldViolation]:
    return [
        FieldViolation(prefix + name, "is required") for name, value in ids.items() if not value
    ]


def _validate(
    lines: list[_Line],
    field_name: str,
    check: Callable[[_Line, str], _Line],
    identity: Callable[[_Line], tuple[str | None, ...]],
    message: str,
) -> list[_Line]:
    problems: list[FieldViolation] = []
    valid: list[_Line] = []
    seen: dict[tuple[str | None, ...], int] = {}
    for i, line in enumerate(lines):
        try:
            valid.append(check(line, f"{field_name}[{i}]."))
        except InvalidArgument as error:
            problems += error.violations
            continue
        first = seen.setdefault(identity(line), i)
        if first != i:
            problems.append(FieldViolation(f"{field_name}[{i}]", f"repeats {field_name}[{first}]"))
    if problems:
        raise InvalidArgument(message, problems)
    return valid


def _mismatch(
    kind: MismatchKind,
    key: Key,
    subgroup: str | None,
    expected: int,
    lines: list[LoadLine],
    message: str,
) -> Mismatch:
    group_id, subject_id, student_id = key
    return Mismatch(
        kind=kind,
        group_id=group_id,
        subject_id=subject_id,
        student_id=student_id,
        subgroup=subgroup,
        expected=expected,
        actual=sum(line.hours for line in lines),
        teachers=tuple((line.teacher_id, line.hours) for line in lines),
        message=message,
    )


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """'10А' after '7А'; letters case-insensitive, Ё as Е."""
    text = text.casefold().replace("ё", "е")
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", text)
    )


_KIND_ORDER = {kind: i for i, kind in enumerate(MismatchKind)}


def _sort_key(mismatch: Mismatch, names: Names) -> tuple[object, ...]:
    student = mismatch.student_id
    return (
        natural_key(names.group(mismatch.group_id)),
        natural_key(names.subject(mismatch.subject_id)),
        student is not None,
        natural_key(names.student(student)) if student is not None else (),
        natural_key(mismatch.subgroup or ""),
        _KIND_ORDER[mismatch.kind],
    )
