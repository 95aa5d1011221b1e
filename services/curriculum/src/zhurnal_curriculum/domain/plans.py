"""Lesson plans (КТП): ordered topics with hours, checked against the curriculum (R-5, R-6.3).

A teacher writes the plan of a group's subject before the year starts; its hours must equal
the curriculum's. A plan that does not match can still be saved as a draft (check_plan tells
what is off) but cannot be approved by the deputy. Plans are copied from last year, or
imported from the spreadsheets teachers keep them in (parse_plan_file: all or nothing, every
bad row named). Once lessons are dated, the plan's topics are laid over them in order, one
lesson an hour, so the journal can suggest the planned topic of each lesson.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal

from zhurnal_kit import spreadsheet
from zhurnal_kit.errors import FailedPrecondition, FieldViolation, InvalidArgument
from zhurnal_kit.spreadsheet import Cell, Column, Header, Row, is_empty, value_key
from zhurnal_kit.spreadsheet import ImportProblem as ImportProblem  # the type of its problems
from zhurnal_kit.spreadsheet import cell_text as _text
from zhurnal_kit.text import in_russian, tidy_topic

MAX_TOPIC = 500
MIN_TOPIC_HOURS, MAX_TOPIC_HOURS = 1, 20
# A year has at most 2000 hours (hours.MAX_HOURS) and a topic at least one.
MAX_TOPICS = 2000
# Larger unpacked workbooks are refused before openpyxl reads them (a zip bomb is small).
MAX_XLSX_UNPACKED = 32 * 1024 * 1024
# Rows above the header (a title such as «КТП по математике, 7А») are skipped; the header is
# looked for among the first few non-empty rows.
HEADER_SEARCH_ROWS = spreadsheet.HEADER_SEARCH_ROWS


class LessonKind(StrEnum):
    """What a planned lesson is (R-5: practical work, excursions, competitions)."""

    LESSON = "lesson"
    PRACTICAL = "practical"
    EXCURSION = "excursion"
    COMPETITION = "competition"
    OTHER = "other"


LESSON_KIND_NAMES = {
    LessonKind.LESSON: "урок",
    LessonKind.PRACTICAL: "практическая работа",
    LessonKind.EXCURSION: "экскурсия",
    LessonKind.COMPETITION: "соревнование",
    LessonKind.OTHER: "другое",
}


class PlanStatus(StrEnum):
    """A draft may be anything; an approved plan matched the curriculum when approved."""

    DRAFT = "draft"
    APPROVED = "approved"


@dataclass(frozen=True)
class PlanTopic:
    """One topic of the plan: ``hours`` consecutive lessons of one kind."""

    order: int  # 1, 2, 3… in the plan's order
    text: str
    hours: int
    kind: LessonKind = LessonKind.LESSON

    def validated(self, *, prefix: str = "", order: int | None = None) -> PlanTopic:
        """This topic with its text tidied, or InvalidArgument naming each bad field.

        ``order``: the number the topic must have (its position in the plan).
        """
        text = tidy_topic(self.text)
        problems = []
        if order is not None and self.order != order:
            problems.append(
                FieldViolation(prefix + "order", f"must be {order}: topics are numbered 1, 2, 3…")
            )
        elif order is None and (not _is_int(self.order) or self.order < 1):
            problems.append(FieldViolation(prefix + "order", "must be a positive number"))
        if not text:
            problems.append(FieldViolation(prefix + "text", "must not be empty"))
        elif len(text) > MAX_TOPIC:
            problems.append(
                FieldViolation(prefix + "text", f"must be at most {MAX_TOPIC} characters")
            )
        if not _is_int(self.hours) or not MIN_TOPIC_HOURS <= self.hours <= MAX_TOPIC_HOURS:
            problems.append(
                FieldViolation(
                    prefix + "hours",
                    f"must be whole hours from {MIN_TOPIC_HOURS} to {MAX_TOPIC_HOURS}",
                )
            )
        if not isinstance(self.kind, LessonKind):
            problems.append(FieldViolation(prefix + "kind", "is not a lesson kind"))
        if problems:
            raise InvalidArgument("the topic is not valid", problems)
        return replace(self, text=text)


def validate_topics(
    topics: Iterable[PlanTopic], *, field_name: str = "topics"
) -> tuple[PlanTopic, ...]:
    """Every topic valid and numbered 1..n in order; else one InvalidArgument.

    Violations are named ``topics[i].text`` and so on (``field_name`` replaces ``topics``).
    """
    items = list(topics)
    if len(items) > MAX_TOPICS:
        raise InvalidArgument(
            "the plan is not valid",
            [FieldViolation(field_name, f"a plan has at most {MAX_TOPICS} topics")],
        )
    problems: list[FieldViolation] = []
    valid = []
    for i, topic in enumerate(items):
        try:
            valid.append(topic.validated(prefix=f"{field_name}[{i}].", order=i + 1))
        except InvalidArgument as error:
            problems += error.violations
    if problems:
        raise InvalidArgument("the plan is not valid", problems)
    return tuple(valid)


@dataclass(frozen=True)
class LessonPlan:
    """The plan of one subject for one group in a study year, written by its teacher."""

    id: str
    group_id: str
    subject_id: str
    teacher_id: str
    study_year_id: str
    status: PlanStatus = PlanStatus.DRAFT
    topics: tuple[PlanTopic, ...] = ()
    approved_by: str = ""
    approved_at: datetime | None = None
    copied_from: str | None = None  # the plan this one was copied from (last year's)

    @classmethod
    def create(
        cls,
        *,
        group_id: str,
        subject_id: str,
        teacher_id: str,
        study_year_id: str,
        topics: Iterable[PlanTopic] = (),
    ) -> LessonPlan:
        """A new draft: saved whatever its hours (check_plan tells what is off)."""
        problems = [
            FieldViolation(name, "is required")
            for name, value in (
                ("group_id", group_id),
                ("subject_id", subject_id),
                ("teacher_id", teacher_id),
                ("study_year_id", study_year_id),
            )
            if not value.strip()
        ]
        try:
            checked = validate_topics(topics)
        except InvalidArgument as error:
            problems += error.violations
        if problems:
            raise InvalidArgument("the lesson plan is not valid", problems)
        return cls(
            id=str(uuid.uuid4()),
            group_id=group_id,
            subject_id=subject_id,
            teacher_id=teacher_id,
            study_year_id=study_year_id,
            topics=checked,
        )

    @property
    def total_hours(self) -> int:
        """Hours of all topics."""
        return sum(topic.hours for topic in self.topics)

    @property
    def approved(self) -> bool:
        """The deputy approved the plan (and it has not changed since)."""
        return self.status is PlanStatus.APPROVED

    def with_topics(self, topics: Iterable[PlanTopic]) -> LessonPlan:
        """The plan with new topics, as a draft again: a changed plan is approved anew."""
        return replace(
            self,
            topics=validate_topics(topics),
            status=PlanStatus.DRAFT,
            approved_by="",
            approved_at=None,
        )


# --- checking and approval -----------------------------------------------------------------


class Severity(StrEnum):
    """An error blocks approval; a warning is shown and does not."""

    ERROR = "error"
    WARNING = "warning"


class PlanProblemKind(StrEnum):
    """What is off with a plan."""

    HOURS = "hours"  # total hours differ from the curriculum's
    NOT_IN_CURRICULUM = "not_in_curriculum"  # the curriculum has no line for the subject
    NOT_IN_RUSSIAN = "not_in_russian"  # a topic without a Russian letter, a warning


@dataclass(frozen=True)
class PlanProblem:
    """One thing the teacher or the deputy should see, with a Russian message."""

    kind: PlanProblemKind
    severity: Severity
    message: str
    topic_order: int | None = None  # the topic concerned, if one
    expected: int | None = None  # the curriculum's hours (HOURS)
    actual: int | None = None  # the plan's hours (HOURS)

    @property
    def blocks_approval(self) -> bool:
        """An error: the plan cannot be approved while it stands."""
        return self.severity is Severity.ERROR


def check_plan(plan: LessonPlan, curriculum_hours: int | None) -> list[PlanProblem]:
    """What is off with the plan: errors first, then warnings by topic; empty when all is well.

    ``curriculum_hours``: the curriculum's hours for the plan's group and subject
    (hours.hours_for), None when the curriculum has no such line.
    """
    problems = []
    total = plan.total_hours
    if curriculum_hours is None:
        problems.append(
            PlanProblem(
                PlanProblemKind.NOT_IN_CURRICULUM,
                Severity.ERROR,
                f"План: {total} ч, а в учебном плане группы этого предмета нет.",
                actual=total,
            )
        )
    elif total != curriculum_hours:
        off = (
            f"не хватает {curriculum_hours - total} ч"
            if total < curriculum_hours
            else f"лишние {total - curriculum_hours} ч"
        )
        problems.append(
            PlanProblem(
                PlanProblemKind.HOURS,
                Severity.ERROR,
                f"План: {total} ч, по учебному плану {curriculum_hours} ч ({off}).",
                expected=curriculum_hours,
                actual=total,
            )
        )
    for topic in plan.topics:
        if not in_russian(topic.text):
            problems.append(
                PlanProblem(
                    PlanProblemKind.NOT_IN_RUSSIAN,
                    Severity.WARNING,
                    _not_russian(f"Тема {topic.order}", topic.text),
                    topic_order=topic.order,
                )
            )
    return problems


def approve(
    plan: LessonPlan, curriculum_hours: int | None, approver: str, *, at: datetime
) -> LessonPlan:
    """The plan approved by ``approver`` (the deputy) at ``at``; refused while hours differ.

    FailedPrecondition names "topics" when the hours differ from the curriculum's,
    "subject_id" when the curriculum lacks the subject, "status" when already approved; the
    violation's description is check_plan's Russian message. Warnings do not block.
    """
    if not approver.strip():
        raise InvalidArgument("approver is required", [FieldViolation("approver", "is required")])
    if plan.approved:
        raise FailedPrecondition(
            "the lesson plan is already approved",
            [FieldViolation("status", f"approved by {plan.approved_by}")],
        )
    errors = [problem for problem in check_plan(plan, curriculum_hours) if problem.blocks_approval]
    if errors:
        raise FailedPrecondition(
            "the lesson plan does not match the curriculum",
            [
                FieldViolation(
                    "subject_id" if p.kind is PlanProblemKind.NOT_IN_CURRICULUM else "topics",
                    p.message,
                )
                for p in errors
            ],
        )
    return replace(plan, status=PlanStatus.APPROVED, approved_by=approver, approved_at=at)


def copy_from(
    previous: LessonPlan,
    *,
    group_id: str,
    study_year_id: str,
    teacher_id: str | None = None,
) -> LessonPlan:
    """A new draft with last year's (or another group's) topics, to be checked and approved.

    The teacher stays the previous plan's unless ``teacher_id`` is given.
    """
    if group_id == previous.group_id and study_year_id == previous.study_year_id:
        raise InvalidArgument(
            "a plan cannot be copied onto itself",
            [FieldViolation("study_year_id", "give another study year or another group")],
        )
    plan = LessonPlan.create(
        group_id=group_id,
        subject_id=previous.subject_id,
        teacher_id=teacher_id or previous.teacher_id,
        study_year_id=study_year_id,
        topics=previous.topics,
    )
    return replace(plan, copied_from=previous.id)


# --- topics over dated lessons -------------------------------------------------------------


def _hours_in_order(plan: LessonPlan) -> Iterator[PlanTopic]:
    for topic in plan.topics:
        for _ in range(topic.hours):
            yield topic


def _distinct(lesson_ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for i, lesson_id in enumerate(lesson_ids):
        if lesson_id in seen:
            raise InvalidArgument(
                "a lesson is given twice",
                [FieldViolation(f"lesson_ids[{i}]", f"repeats lesson {lesson_id}")],
            )
        seen.add(lesson_id)


def link_topics_to_lessons(
    plan: LessonPlan, lesson_ids_in_order: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """Lesson id -> (topic order, topic text): a topic of N hours covers N consecutive lessons.

    Lessons after the plan's last hour get no topic (they are not in the result); when there
    are fewer lessons than hours, the last topics get no lesson (see topics_without_lessons).
    """
    _distinct(lesson_ids_in_order)
    return {
        lesson_id: (topic.order, topic.text)
        for lesson_id, topic in zip(lesson_ids_in_order, _hours_in_order(plan), strict=False)
    }


def planned_topic_for(
    plan: LessonPlan, lesson_ids_in_order: Sequence[str], lesson_id: str
) -> PlanTopic | None:
    """The topic planned for one lesson (the journal's suggestion), or None."""
    _distinct(lesson_ids_in_order)
    for candidate, topic in zip(lesson_ids_in_order, _hours_in_order(plan), strict=False):
        if candidate == lesson_id:
            return topic
    return None


def topics_without_lessons(plan: LessonPlan, lesson_count: int) -> list[PlanTopic]:
    """Topics not (fully) reached by ``lesson_count`` lessons: the programme not covered."""
    reached = 0
    missing = []
    for topic in plan.topics:
        reached += topic.hours
        if reached > lesson_count:
            missing.append(topic)
    return missing


# --- import from CSV or XLSX ---------------------------------------------------------------


@dataclass(frozen=True)
class PlanImport:
    """The parsed file: ``topics`` (numbered 1..n) only when ``problems`` is empty."""

    topics: list[PlanTopic] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # Not blocking: topics without a Russian letter.
    warnings: list[ImportProblem] = field(default_factory=list)
    lines: int = 0  # non-empty rows after the header
    # Field name (order, text, hours, kind) -> the header as written in the file.
    columns: dict[str, str] = field(default_factory=dict)
    # Headers that are not ours (e.g. «Дата», «Примечание»): their values are not imported.
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found: the topics can be saved."""
        return not self.problems

    @property
    def total_hours(self) -> int:
        """Hours of the imported topics."""
        return sum(topic.hours for topic in self.topics)


def parse_plan_file(content: bytes, fmt: Literal["csv", "xlsx"]) -> PlanImport:
    """The topics of a CSV or XLSX lesson plan, or every problem of it; never raises.

    Columns № / Тема / Часы / Вид занятия (or order / topic / hours / kind) in any order,
    headers case-insensitive; Тема and Часы are required. № may number topics (1, 2, 3) or
    lessons (1, 2–3, 4): topics are put in its order and renumbered 1..n; without it the
    file's order is kept. A row «Итого» is a total, checked against the sum; with a №
    column, a row without number and hours is a section heading, skipped with a warning.
    CSV: UTF-8
    (BOM or not), Windows-1251 or UTF-16; ';', ',' or tab. XLSX: the first sheet.
    """
    try:
        # A workbook uploaded as CSV is still a workbook: the bytes win over the label. Topics
        # often hold commas: the delimiter is the one that shows the most of our headers.
        rows = spreadsheet.read_rows(
            content,
            fmt,
            max_unpacked=MAX_XLSX_UNPACKED,
            too_large="Книга слишком велика для плана: проверьте файл.",
            known_headers=_ALIASES,
        )
    except spreadsheet.UnreadableError as error:
        return _fatal(error.reason, error.line)
    return _Parser().parse(rows)


# --- columns and values --------------------------------------------------------------------


_COLUMNS = {
    column.field: column
    for column in (
        Column(
            "order",
            "№",
            (
                "№",
                "№ п/п",
                "п/п",
                "n",
                "no",
                "nn",
                "#",
                "номер",
                "№ урока",
                "номер урока",
                "№ занятия",
                "номер занятия",
                "number",
                "order",
                "lesson no",
                "lesson number",
            ),
        ),
        Column(
            "text",
            "Тема",
            (
                "тема",
                "темы",
                "тема урока",
                "тема занятия",
                "наименование темы",
                "название темы",
                "topic",
                "lesson topic",
                "title",
            ),
        ),
        Column(
            "hours",
            "Часы",
            (
                "часы",
                "часов",
                "ч",
                "кол-во часов",
                "кол во часов",
                "кол часов",
                "количество часов",
                "число часов",
                "hours",
                "hrs",
                "h",
            ),
        ),
        Column(
            "kind",
            "Вид занятия",
            (
                "вид занятия",
                "вид",
                "вид урока",
                "тип занятия",
                "тип урока",
                "форма занятия",
                "форма проведения",
                "kind",
                "type",
                "lesson kind",
                "lesson type",
            ),
        ),
    )
}
_REQUIRED = ("text", "hours")


_ALIASES = spreadsheet.aliases_of(_COLUMNS.values())


_KINDS = {
    value_key(alias): kind
    for kind, aliases in {
        LessonKind.LESSON: ("урок", "занятие", "lesson"),
        LessonKind.PRACTICAL: (
            "практическая работа",
            "практическая",
            "практическое занятие",
            "практика",
            "пр. р.",
            "лабораторная работа",
            "practical",
            "practical work",
        ),
        LessonKind.EXCURSION: ("экскурсия", "excursion"),
        LessonKind.COMPETITION: ("соревнование", "соревнования", "competition"),
        LessonKind.OTHER: ("другое", "прочее", "other"),
    }.items()
    for alias in aliases
}

_KIND_LIST = "урок, практическая работа, экскурсия, соревнование или другое"
_TOTAL = re.compile(r"^(итого|всего)\b", re.IGNORECASE)
_ORDER = re.compile(r"(\d+)(?:\s*[-–—]\s*(\d+))?")
_HOURS = re.compile(r"(\d+)(?:\s*(?:ч|час|часа|часов)\.?)?", re.IGNORECASE)


def _shorten(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"


def _not_russian(what: str, text: str) -> str:
    return (
        f"{what} «{_shorten(text)}» — ни одной русской буквы: темы занятий записывают на "
        "русском языке."
    )


# --- reading -------------------------------------------------------------------------------


def _fatal(reason: str, line: int = 1) -> PlanImport:
    return PlanImport(problems=[ImportProblem(line, "", reason)])


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- parsing -------------------------------------------------------------------------------


_Bad = Callable[[str, str], None]  # (field, reason): a problem of the current row


@dataclass
class _Row:
    line: int
    start: int | None  # the first number of the № column, if the file has one
    topic: PlanTopic


class _Parser:
    """One pass over the rows; file-wide checks (numbers, total) at the end."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []
        self.warnings: list[ImportProblem] = []
        self.rows: list[_Row] = []
        self.lines = 0
        self.index: dict[str, int] = {}  # field -> cell index
        self.columns: dict[str, str] = {}  # field -> header as written
        self.ignored: list[str] = []
        self.width = 0
        self.header = Header()
        self.numbers: dict[int, int] = {}  # lesson or topic number -> line claiming it
        self.totals: list[tuple[int, str, int]] = []  # (line, word, hours) of «Итого» rows

    def parse(self, rows: Iterator[Row]) -> PlanImport:
        try:
            self._parse(rows)
        except spreadsheet.UnreadableError as error:
            # What was read so far is still reported; the rest of the file is not.
            self._problem(error.line, "", error.reason)
        self.problems.sort(key=lambda p: (p.line, self.header.position(p.column)))
        ok = not self.problems
        ordered = sorted(self.rows, key=lambda row: row.start or 0) if ok else []
        return PlanImport(
            topics=[replace(row.topic, order=i) for i, row in enumerate(ordered, start=1)],
            problems=self.problems,
            warnings=self.warnings,
            lines=self.lines,
            columns=self.columns,
            ignored_columns=self.ignored,
        )

    def _parse(self, rows: Iterator[Row]) -> None:
        header = self._header(rows)
        if header is None:
            self._problem(1, "", "Файл пуст.")
            return
        header_line, rest = header
        missing = [name for name in _REQUIRED if name not in self.index]
        for name in missing:
            label = _COLUMNS[name].label
            self._problem(
                header_line,
                label,
                f"Нет обязательного столбца «{label}» (ищем его в строке {header_line}, "
                "в заголовке).",
            )
        for line, cells in rest:
            if is_empty(cells):
                continue
            self.lines += 1
            if self.lines > MAX_TOPICS:
                self._problem(line, "", f"В плане больше {MAX_TOPICS} тем: проверьте файл.")
                return
            if not missing:
                self._row(line, cells)
        if self.lines == 0:
            self._problem(header_line, "", "В файле нет ни одной темы после заголовка.")
        topics_hours = sum(row.topic.hours for row in self.rows)
        for line, word, hours in self.totals:
            if not self.problems and hours != topics_hours:
                self._problem(
                    line,
                    self.columns["hours"],
                    f"В строке «{word}» {hours} ч, а сумма часов по темам {topics_hours} ч.",
                )

    def _problem(self, line: int, column: str, reason: str) -> None:
        self.problems.append(ImportProblem(line, column, reason))

    def _header(self, rows: Iterator[Row]) -> tuple[int, Iterator[Row]] | None:
        found = Header.find(rows, _COLUMNS)
        if found is None:
            return None
        self.header, rest = found
        self.index, self.columns = self.header.index, self.header.columns
        self.width, self.ignored = self.header.width, self.header.ignored
        self.problems += self.header.problems
        return self.header.line, rest

    def _row(self, line: int, cells: list[Cell]) -> None:
        values = {name: cells[i] if i < len(cells) else "" for name, i in self.index.items()}
        problems: list[tuple[str, str]] = []

        def bad(name: str, reason: str) -> None:
            problems.append((self.columns[name], reason))

        problems += [
            (
                column,
                reason + " Если в теме есть запятая или точка с запятой, возьмите тему в кавычки.",
            )
            for column, reason in self.header.overflow(cells)
        ]
        text = tidy_topic(_text(values["text"]))
        order_text = _text(values.get("order", ""))
        if _TOTAL.match(text) and not order_text:
            total = _whole(values["hours"])
            if total is not None:
                self.totals.append((line, text, total))
            return
        if "order" in self.index and not order_text and text and not _text(values["hours"]):
            # «Раздел 1. Числа»: a heading between topics, not a topic.
            self.warnings.append(
                ImportProblem(
                    line,
                    self.columns["text"],
                    f"Строка «{_shorten(text)}» без номера и часов пропущена как заголовок "
                    "раздела.",
                )
            )
            return
        start, end = self._order(line, order_text, bad)
        if not text:
            bad("text", "Тема не указана.")
        elif len(text) > MAX_TOPIC:
            bad("text", f"Тема длиннее {MAX_TOPIC} символов (в ней {len(text)}).")
        elif not in_russian(text):
            self.warnings.append(
                ImportProblem(line, self.columns["text"], _not_russian("В теме", text))
            )
        hours = _parse_hours(values["hours"])
        if isinstance(hours, str):
            bad("hours", hours)
        elif start is not None and end is not None and end - start + 1 != hours:
            bad(
                "order",
                f"Номера {start}–{end} — это {end - start + 1} ч, а в столбце "
                f"«{self.columns['hours']}» {hours}.",
            )
        kind = LessonKind.LESSON
        if kind_text := _text(values.get("kind", "")):
            found = _KINDS.get(value_key(kind_text))
            if found is None:
                bad("kind", f"Неизвестный вид занятия «{kind_text}»: укажите {_KIND_LIST}.")
            else:
                kind = found
        for column, reason in problems:
            self._problem(line, column, reason)
        if not problems and isinstance(hours, int):
            self.rows.append(_Row(line, start, PlanTopic(len(self.rows) + 1, text, hours, kind)))

    def _order(self, line: int, text: str, bad: _Bad) -> tuple[int | None, int | None]:
        """(first, last) number of the № cell; (None, None) without the column or when bad."""
        if "order" not in self.index:
            return None, None
        if not text:
            bad(
                "order",
                "Не указан номер. Если это заголовок раздела, оставьте пустыми и номер, и часы.",
            )
            return None, None
        match = _ORDER.fullmatch(text.removesuffix(".").strip())
        if match is None:
            bad(
                "order",
                f"Номер «{text}» не распознан: нужно целое число (например, 5) или номера "
                "уроков через дефис (5–6).",
            )
            return None, None
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else None
        if start < 1 or (end is not None and end <= start):
            bad("order", f"Номер «{text}» не подходит: номера начинаются с 1 и идут по порядку.")
            return None, None
        for number in range(start, (end or start) + 1):
            first = self.numbers.setdefault(number, line)
            if first != line:
                bad("order", f"Номер {number} повторяется: он же в строке {first}.")
                break
        return start, end


def _whole(cell: Cell) -> int | None:
    """A whole number of hours: 2, 2.0, «2», «2 ч»; None otherwise."""
    if isinstance(cell, int):
        return cell
    match = _HOURS.fullmatch(_text(cell)) if isinstance(cell, str) else None
    return int(match.group(1)) if match else None


def _parse_hours(cell: Cell) -> int | str:
    """Whole hours MIN_TOPIC_HOURS..MAX_TOPIC_HOURS, or the Russian reason they are not."""
    rule = f"нужно целое число от {MIN_TOPIC_HOURS} до {MAX_TOPIC_HOURS}"
    text = _text(cell)
    if not text:
        return "Не указано число часов."
    hours = _whole(cell)
    if hours is None:
        return f"Часы «{text}» не распознаны: {rule}."
    if not MIN_TOPIC_HOURS <= hours <= MAX_TOPIC_HOURS:
        return f"На тему {hours} ч: {rule}."
    return hours
