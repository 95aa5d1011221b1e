"""Lesson plans (КТП): ordered topics with hours, checked against the curriculum (R-5, R-6.3).

A teacher writes the plan of a group's subject before the year starts; its hours must equal
the curriculum's. A plan that does not match can still be saved as a draft (check_plan tells
what is off) but cannot be approved by the deputy. Plans are copied from last year, or
imported from the spreadsheets teachers keep them in (parse_plan_file: all or nothing, every
bad row named). Once lessons are dated, the plan's topics are laid over them in order, one
lesson an hour, so the journal can suggest the planned topic of each lesson.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from itertools import islice
from typing import Any, Literal

from zhurnal_kit.errors import FailedPrecondition, FieldViolation, InvalidArgument

MAX_TOPIC = 500
MIN_TOPIC_HOURS, MAX_TOPIC_HOURS = 1, 20
# A year has at most 2000 hours (hours.MAX_HOURS) and a topic at least one.
MAX_TOPICS = 2000
# Larger unpacked workbooks are refused before openpyxl reads them (a zip bomb is small).
MAX_XLSX_UNPACKED = 32 * 1024 * 1024
# Rows above the header (a title such as «КТП по математике, 7А») are skipped; the header is
# looked for among the first few non-empty rows.
HEADER_SEARCH_ROWS = 10

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


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


def tidy_topic(text: str) -> str:
    """NFC, trimmed, runs of spaces and line breaks as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def in_russian(text: str) -> bool:
    """The text has at least one Cyrillic letter (R-5: topics are written in Russian)."""
    return bool(_CYRILLIC.search(text))


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
class ImportProblem:
    """One thing wrong with the file: line as a spreadsheet numbers it (header = 1)."""

    line: int
    # The column's header as written in the file; for a missing column its Russian name;
    # empty when the problem is the whole row or file.
    column: str
    reason: str


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
        if not content.strip():
            return _fatal("Файл пуст.")
        if content.startswith(_XLS_MAGIC):
            return _fatal(_LEGACY_XLS)
        # A workbook uploaded as CSV is still a workbook: trust the bytes over the label.
        if fmt == "xlsx" or content.startswith(_ZIP_MAGIC):
            if not content.startswith(_ZIP_MAGIC):
                return _fatal(_NOT_XLSX)
            rows = _xlsx_rows(content)
        else:
            rows = _csv_rows(content)
    except _UnreadableError as error:
        return _fatal(error.reason, error.line)
    return _Parser().parse(rows)


# --- columns and values --------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    field: str
    label: str  # Russian, for messages about a missing column
    aliases: tuple[str, ...]


_COLUMNS = {
    column.field: column
    for column in (
        _Column(
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
        _Column(
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
        _Column(
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
        _Column(
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


def _header_key(text: str) -> str:
    """'Кол-во часов (всего)*' -> 'кол-во часов': case, ё, hints and marks ignored."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    text = re.sub(r"\(.*?\)|\[.*?\]|[*:.]", " ", text)
    return " ".join(text.replace("_", " ").split())


_ALIASES = {
    _header_key(alias): column.field for column in _COLUMNS.values() for alias in column.aliases
}


def _value_key(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").replace(".", " ").split())


_KINDS = {
    _value_key(alias): kind
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

_LEGACY_XLS = (
    "Файл в старом формате Excel 97–2003 (.xls). Сохраните его как «Книга Excel (.xlsx)» "
    "или «CSV (разделители — точки с запятой)» и загрузите снова."
)
_NOT_XLSX = "Файл не является книгой Excel (.xlsx) или повреждён."
_NOT_CSV = (
    "Файл не похож на таблицу CSV. Сохраните таблицу как «CSV (разделители — точки с "
    "запятой)» или «Книга Excel (.xlsx)»."
)
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

_ZIP_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Cell = str | int | float | date
Row = tuple[int, list[Cell]]


class _UnreadableError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


def _fatal(reason: str, line: int = 1) -> PlanImport:
    return PlanImport(problems=[ImportProblem(line, "", reason)])


def _decode(content: bytes) -> str:
    # UTF-16 with a BOM is Excel's «Unicode text»; Windows-1251 is «CSV (разделители — точки
    # с запятой)» on a Russian Windows; the rest is UTF-8, with or without a BOM.
    try:
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            return content.decode("utf-16")
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return content.decode("cp1251")
    except UnicodeDecodeError:
        raise _UnreadableError(1, _NOT_CSV) from None


def _delimiter(text: str) -> str:
    """';', tab or ',': the one that shows the most of our headers, then the most cells.

    Topics often hold commas, so counting separators alone could take ',' in a ';' file.
    """
    head = list(islice((line for line in io.StringIO(text) if line.strip()), HEADER_SEARCH_ROWS))
    best, best_score = ";", (-1, -1)
    for candidate in (";", "\t", ","):
        try:
            records = list(csv.reader(head, delimiter=candidate))
        except csv.Error:
            continue
        score = (
            max((_recognized(record) for record in records), default=0),
            max((len(record) for record in records), default=0),
        )
        if score > best_score:
            best, best_score = candidate, score
    return best


def _csv_rows(content: bytes) -> Iterator[Row]:
    text = _decode(content)
    if _CONTROL.search(text):
        raise _UnreadableError(1, _NOT_CSV)
    return _records(text, _delimiter(text))


def _records(text: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, list(record)
    except csv.Error as error:
        raise _UnreadableError(
            number + 1, f"Строка не читается как CSV ({error}): проверьте кавычки."
        ) from None


def _xlsx_rows(content: bytes) -> Iterator[Row]:
    import openpyxl  # type: ignore[import-untyped]  # imported here: only XLSX needs it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED:
            raise _UnreadableError(1, "Книга слишком велика для плана: проверьте файл.")
        with warnings.catch_warnings():
            # openpyxl warns about parts it skips (validation, styles): none matter here.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except _UnreadableError:
        raise
    except Exception:  # any of openpyxl's ways of saying "not a workbook"
        raise _UnreadableError(1, _NOT_XLSX) from None
    if not book.worksheets:
        book.close()
        raise _UnreadableError(1, "В книге нет ни одного листа.")
    return _sheet_rows(book)


def _sheet_rows(book: Any) -> Iterator[Row]:
    number = 0
    try:
        sheet = book.worksheets[0]
        # Some programs write wrong dimensions; without them every row is read.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, [_cell(value) for value in values]
    except Exception:  # a damaged sheet part
        raise _UnreadableError(number + 1, _NOT_XLSX) from None
    finally:
        book.close()


def _cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, date | str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return str(value)


def _text(cell: Cell) -> str:
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, date):
        return cell.strftime("%d.%m.%Y")
    return str(cell)


def _is_empty(cells: list[Cell]) -> bool:
    return all(not _text(cell) for cell in cells)


def _recognized(cells: Sequence[Cell]) -> int:
    return sum(1 for cell in cells if _header_key(_text(cell)) in _ALIASES)


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
        self.positions: dict[str, int] = {}  # header as written -> cell index, for sorting
        self.ignored: list[str] = []
        self.width = 0
        self.numbers: dict[int, int] = {}  # lesson or topic number -> line claiming it
        self.totals: list[tuple[int, str, int]] = []  # (line, word, hours) of «Итого» rows

    def parse(self, rows: Iterator[Row]) -> PlanImport:
        try:
            self._parse(rows)
        except _UnreadableError as error:
            # What was read so far is still reported; the rest of the file is not.
            self._problem(error.line, "", error.reason)
        self.problems.sort(key=lambda p: (p.line, self._position(p.column)))
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

    def _position(self, column: str) -> int:
        if column in self.positions:
            return self.positions[column]
        if match := re.fullmatch(r"столбец (\d+)", column):
            return int(match.group(1)) - 1
        return -1

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
            if _is_empty(cells):
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
        seen: list[Row] = []
        for line, cells in rows:
            if _is_empty(cells):
                continue
            seen.append((line, cells))
            if _recognized(cells) >= 2 or len(seen) == HEADER_SEARCH_ROWS:
                break
        if not seen:
            return None
        at = next((i for i, (_, cells) in enumerate(seen) if _recognized(cells) >= 2), 0)
        line, cells = seen[at]
        self._read_header(line, cells)
        return line, _chain(seen[at + 1 :], rows)

    def _read_header(self, line: int, cells: list[Cell]) -> None:
        titles = [_text(cell) for cell in cells]
        self.width = max((i + 1 for i, title in enumerate(titles) if title), default=0)
        for i, title in enumerate(titles[: self.width]):
            if not title:
                self.ignored.append(f"столбец {i + 1}")
                continue
            self.positions.setdefault(title, i)
            name = _ALIASES.get(_header_key(title))
            if name is None:
                self.ignored.append(title)
            elif name in self.index:
                self._problem(
                    line,
                    title,
                    f"Столбец «{title}» повторяет столбец «{self.columns[name]}» "
                    f"(оба — «{_COLUMNS[name].label}»): оставьте один.",
                )
            else:
                self.index[name], self.columns[name] = i, title

    def _row(self, line: int, cells: list[Cell]) -> None:
        values = {name: cells[i] if i < len(cells) else "" for name, i in self.index.items()}
        problems: list[tuple[str, str]] = []

        def bad(name: str, reason: str) -> None:
            problems.append((self.columns[name], reason))

        for i in range(self.width, len(cells)):
            if text := _text(cells[i]):
                problems.append(
                    (
                        f"столбец {i + 1}",
                        f"Значение «{text}» стоит в столбце {i + 1}, у которого нет заголовка: "
                        "в строке больше ячеек, чем столбцов в заголовке. Если в теме есть "
                        "запятая или точка с запятой, возьмите тему в кавычки.",
                    )
                )
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
            found = _KINDS.get(_value_key(kind_text))
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


def _chain(first: list[Row], rest: Iterator[Row]) -> Iterator[Row]:
    yield from first
    yield from rest
