"""Mark scales, mark types with weights, and the suggested final mark (R-1.3).

Every institution starts with the scales and types below (a deputy changes or adds to them);
a subject (programme) is marked on the scale that names it, the rest on the default scale.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from zhurnal_kit.errors import FieldViolation, InvalidArgument


class ScaleKind(IntEnum):
    """journal.v1.ScaleKind."""

    POINTS = 1
    PASS_FAIL = 2
    LEVELS = 3


@dataclass(frozen=True)
class ScaleValue:
    """One value of a scale; ``score`` is what it counts for in a weighted average."""

    value: str
    label: str
    score: float
    passing: bool
    final: bool = True


@dataclass(frozen=True)
class MarkScale:
    """A scale of marks an institution uses."""

    id: str
    institution_id: str
    code: str
    name: str
    kind: ScaleKind
    values: tuple[ScaleValue, ...]
    subject_ids: frozenset[str] = frozenset()
    is_default: bool = False

    def value(self, text: str) -> ScaleValue | None:
        """The scale's value written as ``text`` (case and spaces do not matter)."""
        wanted = text.strip().casefold()
        return next((v for v in self.values if v.value.casefold() == wanted), None)

    def suggest(self, average: float) -> ScaleValue | None:
        """The final value whose score is nearest to ``average``; a tie goes to the higher."""
        finals = [v for v in self.values if v.final]
        if not finals:
            return None
        return min(finals, key=lambda v: (abs(v.score - average), -v.score))


@dataclass(frozen=True)
class MarkType:
    """What a mark was given for, and how much it weighs in the average."""

    institution_id: str
    code: str
    name: str
    weight: float
    position: int = 0
    archived: bool = False


def _points() -> tuple[ScaleValue, ...]:
    values: list[ScaleValue] = []
    for point in (5, 4, 3, 2):
        passing = point >= 3
        # +/− move a mark a third of a point; only plain marks are final marks.
        if point < 5:
            values.append(
                ScaleValue(f"{point}+", f"{point} с плюсом", point + 0.33, passing, False)
            )
        values.append(ScaleValue(str(point), str(point), float(point), passing))
        if point > 2:
            values.append(
                ScaleValue(f"{point}-", f"{point} с минусом", point - 0.33, passing, False)
            )
    return tuple(values)


def default_scales(institution_id: str) -> list[MarkScale]:
    """The scales every institution starts with: five-point, pass/fail, levels."""

    def scale_id(code: str) -> str:
        # Stable per institution, so two first requests racing create the same rows.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"zhurnal:scale:{institution_id}:{code}"))

    return [
        MarkScale(
            scale_id("five"),
            institution_id,
            "five",
            "Пятибалльная",
            ScaleKind.POINTS,
            _points(),
            is_default=True,
        ),
        MarkScale(
            scale_id("pass"),
            institution_id,
            "pass",
            "Зачёт / незачёт",
            ScaleKind.PASS_FAIL,
            (
                ScaleValue("зачёт", "зачёт", 1.0, True),
                ScaleValue("незачёт", "незачёт", 0.0, False),
            ),
        ),
        MarkScale(
            scale_id("levels"),
            institution_id,
            "levels",
            "Уровни освоения программы",
            ScaleKind.LEVELS,
            (
                ScaleValue("высокий", "высокий уровень", 3.0, True),
                ScaleValue("средний", "средний уровень", 2.0, True),
                ScaleValue("низкий", "низкий уровень", 1.0, False),
            ),
        ),
    ]


def default_mark_types(institution_id: str) -> list[MarkType]:
    """The mark types every institution starts with; the first is the default."""
    return [
        MarkType(institution_id, "oral", "Устный ответ", 1.0, 0),
        MarkType(institution_id, "written", "Письменная работа", 2.0, 1),
        MarkType(institution_id, "practical", "Практическая работа", 1.5, 2),
        MarkType(institution_id, "interim", "Промежуточная аттестация", 3.0, 3),
    ]


def scale_for(scales: Sequence[MarkScale], subject_id: str) -> MarkScale:
    """The scale a subject is marked on: the one naming it, else the default."""
    for scale in scales:
        if subject_id in scale.subject_ids:
            return scale
    for scale in scales:
        if scale.is_default:
            return scale
    raise InvalidArgument("the institution has no default mark scale")


@dataclass(frozen=True)
class ScoredMark:
    """A mark as the average sees it."""

    student_id: str
    score: float | None
    weight: float


@dataclass(frozen=True)
class Average:
    """A student's weighted average over their scored marks."""

    value: float
    marks: int


def weighted_averages(marks: Iterable[ScoredMark]) -> dict[str, Average]:
    """Per student: sum(score x weight) / sum(weight) over the marks that have a score."""
    sums: dict[str, list[float]] = {}
    for mark in marks:
        if mark.score is None or mark.weight <= 0:
            continue
        total = sums.setdefault(mark.student_id, [0.0, 0.0, 0.0])
        total[0] += mark.score * mark.weight
        total[1] += mark.weight
        total[2] += 1
    return {student: Average(round(s / w, 2), int(n)) for student, (s, w, n) in sums.items() if w}


def validate_scale(scale: MarkScale) -> None:
    """A scale a deputy saves: a code, a name, distinct values with labels."""
    problems: list[FieldViolation] = []
    if not scale.code.strip() or len(scale.code) > 32:
        problems.append(FieldViolation("scale.code", "is required (at most 32 characters)"))
    if not scale.name.strip():
        problems.append(FieldViolation("scale.name", "is required"))
    if not scale.values:
        problems.append(FieldViolation("scale.values", "must list at least one value"))
    seen: set[str] = set()
    for index, value in enumerate(scale.values):
        key = value.value.strip().casefold()
        if not key or len(key) > 32:
            problems.append(
                FieldViolation(
                    f"scale.values[{index}].value", "is required (at most 32 characters)"
                )
            )
        elif key in seen:
            problems.append(FieldViolation(f"scale.values[{index}].value", "is given twice"))
        seen.add(key)
    if problems:
        raise InvalidArgument("the mark scale is not valid", problems)


def validate_mark_type(mark_type: MarkType) -> None:
    """A mark type a deputy saves: a code, a name and a weight between 0 and 10."""
    problems: list[FieldViolation] = []
    if not mark_type.code.strip() or len(mark_type.code) > 32:
        problems.append(FieldViolation("type.code", "is required (at most 32 characters)"))
    if not mark_type.name.strip():
        problems.append(FieldViolation("type.name", "is required"))
    if not 0 < mark_type.weight <= 10:
        problems.append(FieldViolation("type.weight", "must be above 0 and at most 10"))
    if problems:
        raise InvalidArgument("the mark type is not valid", problems)


@dataclass
class MarkingScheme:
    """An institution's scales and types, as a save needs them."""

    scales: list[MarkScale]
    types: list[MarkType] = field(default_factory=list)

    def type(self, code: str) -> MarkType | None:
        """The active type ``code``; the first active type when ``code`` is empty."""
        active = [t for t in self.types if not t.archived]
        if not code:
            return active[0] if active else None
        return next((t for t in active if t.code == code), None)
