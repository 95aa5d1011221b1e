"""Bulk import of staff, students and guardians from CSV or XLSX: parsing and validation only.

How schools start (issue 3): one file, one person a row, all three kinds mixed. This module
reads the bytes it is given and nothing else; it returns an ImportPlan that either lists every
bad line (with its number and a reason in Russian, for the school's administrator) or holds
the typed rows the service writes in one transaction. What only the directory can tell
(logins already taken, children who are students already registered) the service checks
with ImportPlan.directory_problems, so that those problems read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from zhurnal_identity.domain.people import (
    MAX_NAME,
    FullName,
    PersonalData,
    PersonKind,
    normalize_name,
    validate_login,
)
from zhurnal_kit import spreadsheet
from zhurnal_kit.errors import InvalidArgument
from zhurnal_kit.spreadsheet import (
    Cell,
    Column,
    Header,
    Row,
    UnreadableError,
    aliases_of,
    is_empty,
    value_key,
)
from zhurnal_kit.spreadsheet import ImportProblem as ImportProblem  # the type of its problems
from zhurnal_kit.spreadsheet import cell_text as _text
from zhurnal_kit.spreadsheet import show_date as _show

MAX_LINES = 20_000
# Larger unpacked workbooks are refused before openpyxl reads them (a zip bomb is small).
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
MAX_POSITION = 200
# Rows above the header (a title such as «Список сотрудников») are skipped; the header is
# looked for among the first few non-empty rows.
HEADER_SEARCH_ROWS = spreadsheet.HEADER_SEARCH_ROWS
EARLIEST_DATE = date(1900, 1, 1)


class StaffRole(StrEnum):
    """The role a staff member gets in the institution (proto Role, staff subset)."""

    TEACHER = "teacher"
    DEPUTY = "deputy"
    DIRECTOR = "director"
    ADMINISTRATOR = "administrator"


@dataclass(frozen=True)
class ImportRow:
    """One valid person of the file."""

    line: int
    kind: PersonKind
    name: FullName
    login: str
    personal_data: PersonalData
    # Staff only (empty / None otherwise).
    position: str = ""
    role: StaffRole | None = None
    employment_start: date | None = None
    # Logins of the person's children: a guardian always has some; a staff member may
    # have some too, and is then a guardian as well. Each is either a student row of this
    # file or a ChildReference in ImportPlan.external_children.
    children: tuple[str, ...] = ()

    @property
    def kinds(self) -> set[PersonKind]:
        """What the person becomes: the row's kind, and guardian if it lists children."""
        return {self.kind, PersonKind.GUARDIAN} if self.children else {self.kind}


@dataclass(frozen=True)
class ChildReference:
    """A child login that is not a student of this file: the service must find it."""

    line: int
    column: str
    guardian_login: str
    child_login: str


@dataclass(frozen=True)
class ImportPlan:
    """The parsed file: import ``rows`` (in one transaction) only when ``problems`` is empty."""

    lines: int = 0
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    external_children: list[ChildReference] = field(default_factory=list)
    # Field name (kind, last_name, ...) -> the header as written in the file.
    columns: dict[str, str] = field(default_factory=dict)
    # Headers that are not ours (e.g. «№ п/п», «Класс»): their values are not imported.
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found in the file itself."""
        return not self.problems

    @property
    def staff(self) -> list[ImportRow]:
        """Staff rows, in file order."""
        return [row for row in self.rows if row.kind is PersonKind.STAFF]

    @property
    def students(self) -> list[ImportRow]:
        """Student rows, in file order: create them before linking guardians."""
        return [row for row in self.rows if row.kind is PersonKind.STUDENT]

    @property
    def guardians(self) -> list[ImportRow]:
        """Rows of people with children (guardians, and staff who are parents too)."""
        return [row for row in self.rows if row.children]

    def directory_problems(
        self, *, existing_students: Collection[str], taken_logins: Collection[str]
    ) -> list[ImportProblem]:
        """Problems only the directory can tell, worded like the others, sorted by line.

        ``existing_students``: logins among ``external_children`` that are students of the
        institution; ``taken_logins``: logins of ``rows`` that already belong to someone.
        """
        problems = [
            ImportProblem(
                row.line,
                self.columns.get("login", COLUMNS["login"].label),
                f"Логин «{row.login}» уже занят: выберите другой.",
            )
            for row in self.rows
            if row.login in taken_logins
        ]
        problems += [
            ImportProblem(
                ref.line,
                ref.column,
                f"Ученик с логином «{ref.child_login}» не найден ни в файле, "
                "ни среди учеников учреждения.",
            )
            for ref in self.external_children
            if ref.child_login not in existing_students
        ]
        return sorted(problems, key=lambda problem: problem.line)


def parse_people_file(content: bytes, fmt: Literal["csv", "xlsx"], *, today: date) -> ImportPlan:
    """The people of a CSV or XLSX file, checked; never raises for a bad file.

    CSV: UTF-8 (BOM or not), Windows-1251 or UTF-16; ';', ',' or tab; quoted fields. XLSX:
    the first sheet. Lines are numbered as a spreadsheet shows them (header = 1, empty rows
    keep their numbers but are not counted in ``lines``). ``today`` bounds birth dates and
    is the default employment start.
    """
    try:
        # A workbook uploaded as CSV is still a workbook: the bytes win over the label.
        rows = spreadsheet.read_rows(
            content,
            fmt,
            max_unpacked=MAX_XLSX_UNPACKED,
            too_large="Книга слишком велика: разделите её на несколько файлов.",
            known_headers=_ALIASES,
        )
    except UnreadableError as error:
        return _fatal(error.line, error.reason)
    return _Parser(today).parse(rows)


# --- columns -------------------------------------------------------------------------------


COLUMNS: dict[str, Column] = {
    column.field: column
    for column in (
        Column("kind", "Тип", ("kind", "type", "тип", "вид", "категория", "кто")),
        Column("last_name", "Фамилия", ("last name", "lastname", "surname", "фамилия")),
        Column("first_name", "Имя", ("first name", "firstname", "given name", "имя")),
        Column("patronymic", "Отчество", ("patronymic", "middle name", "отчество")),
        Column("login", "Логин", ("login", "username", "user name", "логин")),
        Column(
            "birth_date",
            "Дата рождения",
            ("birth date", "birthdate", "date of birth", "дата рождения"),
        ),
        Column(
            "email",
            "Эл. почта",
            ("email", "e-mail", "e mail", "почта", "эл почта", "электронная почта"),
        ),
        Column("phone", "Телефон", ("phone", "telephone", "телефон", "тел", "номер телефона")),
        Column("address", "Адрес", ("address", "адрес")),
        Column("position", "Должность", ("position", "job title", "должность")),
        Column("role", "Роль", ("role", "роль")),
        Column(
            "employment_start",
            "Дата приёма",
            (
                "employment start",
                "hire date",
                "hired",
                "дата приема",
                "дата приема на работу",
            ),
        ),
        Column("children", "Дети", ("children", "дети", "логины детей", "ребенок")),
    )
}
REQUIRED = ("kind", "last_name", "first_name", "login")
# Required only when the file has people of the kind that needs them.
REQUIRED_FOR = {
    "birth_date": (PersonKind.STUDENT, "ученики"),
    "position": (PersonKind.STAFF, "сотрудники"),
    "children": (PersonKind.GUARDIAN, "представители"),
}
STAFF_ONLY = ("position", "role", "employment_start")


_ALIASES = aliases_of(COLUMNS.values())


_KINDS = {
    value_key(alias): kind
    for kind, aliases in {
        PersonKind.STAFF: ("staff", "employee", "сотрудник", "работник"),
        PersonKind.STUDENT: (
            "student",
            "pupil",
            "ученик",
            "ученица",
            "учащийся",
            "учащаяся",
            "обучающийся",
            "обучающаяся",
        ),
        PersonKind.GUARDIAN: (
            "guardian",
            "parent",
            "представитель",
            "законный представитель",
            "родитель",
            "родитель (законный представитель)",
            "мать",
            "отец",
            "опекун",
            "попечитель",
        ),
    }.items()
    for alias in aliases
}
_ROLES = {
    value_key(alias): role
    for role, aliases in {
        StaffRole.TEACHER: ("teacher", "учитель", "педагог", "преподаватель"),
        StaffRole.DEPUTY: (
            "deputy",
            "заместитель директора",
            "заместитель директора по УВР",
            "зам. директора",
            "зам. директора по УВР",
            "завуч",
        ),
        StaffRole.DIRECTOR: ("director", "директор"),
        StaffRole.ADMINISTRATOR: (
            "administrator",
            "admin",
            "администратор",
            "администратор системы",
        ),
    }.items()
    for alias in aliases
}
_KIND_NAMES = {
    PersonKind.STAFF: "сотрудник",
    PersonKind.STUDENT: "ученик",
    PersonKind.GUARDIAN: "представитель",
}

# --- reasons -------------------------------------------------------------------------------

_LOGIN_RULE = (
    "нужно от 3 до 60 знаков — строчные латинские буквы, цифры, точка, «_» или «-», первой — буква"
)
_DATE_RULE = "пишите ДД.ММ.ГГГГ (например, 05.03.2012) или ГГГГ-ММ-ДД"
# (empty, too long, bad characters) for each part of the name.
_NAME_REASONS = {
    "last_name": ("Фамилия не указана.", "Фамилия длиннее", "Фамилия"),
    "first_name": ("Имя не указано.", "Имя длиннее", "Имя"),
    "patronymic": ("", "Отчество длиннее", "Отчество"),
}

# --- reading -------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
_MIN_SERIAL, _MAX_SERIAL = 10_000, 2_958_466  # 18.05.1927 .. 31.12.9999


def _fatal(line: int, reason: str) -> ImportPlan:
    return ImportPlan(problems=[ImportProblem(line, "", reason)])


_DATE_RU = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# "05.03.2012 0:00:00" (a date-time cell saved as text) and "05.03.2012 г.".
_DATE_TAIL = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|\s*г\.?)$")


class _BadDateError(Exception):
    pass


def _date(cell: Cell) -> date | None:
    """A date from a date cell, an Excel serial number, or text; None when empty."""
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float):
        # A date cell formatted as a number: Excel's serial day. Small numbers are more
        # likely a year or a typo than a date before 1927.
        if _MIN_SERIAL <= cell < _MAX_SERIAL:
            return _EXCEL_EPOCH + timedelta(days=int(cell))
        raise _BadDateError(f"Дата «{cell}» не распознана: {_DATE_RULE}.")
    text = _DATE_TAIL.sub("", cell.strip())
    if not text:
        return None
    if match := _DATE_RU.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _DATE_ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise _BadDateError(f"Дата «{cell.strip()}» не распознана: {_DATE_RULE}.")
    try:
        return date(year, month, day)
    except ValueError:
        raise _BadDateError(f"Такой даты нет в календаре: «{cell.strip()}».") from None


# --- checking ------------------------------------------------------------------------------

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# A word (letters between hyphens, apostrophes or spaces) with both Cyrillic and Latin letters:
# 'Ивaнов' with a Latin 'a' pasted in looks right and then never sorts or searches right.
_MIXED_SCRIPT = re.compile(r"[а-яё][^\W\d_]*[a-z]|[a-z][^\W\d_]*[а-яё]", re.IGNORECASE)


def _name_reason(part: str, value: str) -> str:
    empty, too_long, label = _NAME_REASONS[part]
    value = normalize_name(value)
    if not value:
        return empty
    if len(value) > MAX_NAME:
        return f"{too_long} {MAX_NAME} символов."
    return (
        f"{label} «{value}» может содержать только буквы, а между частями — дефис, "
        "апостроф или пробел."
    )


def _login_reason(raw: str, what: str = "Логин") -> str:
    if not raw:
        return f"{what} не указан."
    hint = "русские буквы в логине не допускаются; " if _CYRILLIC.search(raw) else ""
    return f"{what} «{raw}» не подходит: {hint}{_LOGIN_RULE}."


def _personal_reason(name: str, data: PersonalData, today: date, description: str) -> str:
    if name == "birth_date" and data.birth_date is not None:
        if data.birth_date > today:
            return f"Дата рождения {_show(data.birth_date)} ещё не наступила."
        return f"Дата рождения {_show(data.birth_date)} раньше 1900 года."
    if name == "email":
        return f"Адрес электронной почты «{data.email.strip()}» указан с ошибкой."
    if name == "phone":
        return (
            f"Телефон «{data.phone.strip()}» указан с ошибкой: допустимы цифры, пробелы, "
            "скобки, дефисы и «+» в начале, от 5 до 20 знаков."
        )
    if name == "address":
        return "Адрес длиннее 500 символов."
    return description


def _split_logins(text: str) -> list[str]:
    return [item for item in re.split(r"[;,\s]+", text) if item]


class _Parser:
    """One pass over the rows; file-wide checks (duplicates, children) at the end."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.problems: list[ImportProblem] = []
        self.rows: list[ImportRow] = []
        self.lines = 0
        self.index: dict[str, int] = {}  # field -> cell index
        self.columns: dict[str, str] = {}  # field -> header as written
        self.width = 0
        self.ignored: list[str] = []
        self.header = Header()
        self.bad_lines: set[int] = set()
        # login -> (line, kind) of every row whose login and kind are readable.
        self.people: dict[str, list[tuple[int, PersonKind | None]]] = {}
        self.kinds_seen: set[PersonKind] = set()
        # (line, login, children) of every row whose children could be read.
        self.links: list[tuple[int, str, list[str]]] = []

    def parse(self, rows: Iterable[Row]) -> ImportPlan:
        try:
            return self._parse(iter(rows))
        except UnreadableError as error:
            # What was read so far is still reported; the rest of the file is not.
            self._problem(error.line, "", error.reason)
            return self._plan([])

    def _parse(self, rows: Iterator[Row]) -> ImportPlan:
        found = self._header(rows)
        if found is None:
            return _fatal(1, "Файл пуст.")
        header_line, rest = found
        missing = [name for name in REQUIRED if name not in self.index]
        for name in missing:
            self._problem(header_line, COLUMNS[name].label, _missing(name))
        for line, cells in rest:
            if is_empty(cells):
                continue
            self.lines += 1
            if self.lines > MAX_LINES:
                self._problem(
                    line, "", f"В файле больше {MAX_LINES} строк с людьми: разделите его на части."
                )
                break
            if not missing:
                self._row(line, cells)
        if self.lines == 0:
            self._problem(header_line, "", "В файле нет ни одной строки с людьми после заголовка.")
        if missing or self.lines == 0:
            return self._plan([])
        for name, (kind, plural) in REQUIRED_FOR.items():
            if name not in self.index and kind in self.kinds_seen:
                self._problem(
                    header_line,
                    COLUMNS[name].label,
                    f"Нет столбца «{COLUMNS[name].label}»: он нужен, когда в файле есть {plural}.",
                )
        self._duplicates()
        external = self._children()
        return self._plan(external)

    def _plan(self, external: list[ChildReference]) -> ImportPlan:
        # By line, then left to right as the columns stand in the file.
        self.problems.sort(key=lambda p: (p.line, self.header.position(p.column)))
        return ImportPlan(
            lines=self.lines,
            rows=[row for row in self.rows if row.line not in self.bad_lines],
            problems=self.problems,
            external_children=external,
            columns=self.columns,
            ignored_columns=self.ignored,
        )

    def _problem(self, line: int, column: str, reason: str) -> None:
        self.problems.append(ImportProblem(line, column, reason))
        self.bad_lines.add(line)

    def _header(self, rows: Iterator[Row]) -> tuple[int, Iterator[Row]] | None:
        found = Header.find(rows, COLUMNS)
        if found is None:
            return None
        self.header, rest = found
        self.index, self.columns = self.header.index, self.header.columns
        self.width, self.ignored = self.header.width, self.header.ignored
        for problem in self.header.problems:
            self._problem(problem.line, problem.column, problem.reason)
        return self.header.line, rest

    def _row(self, line: int, cells: list[Cell]) -> None:
        check = _Line(self, cells)
        # Values past the header's last column: usually a separator inside an unquoted value
        # that shifted the rest of the row to the right.
        for column, reason in self.header.overflow(cells):
            if self.index.get("children") == self.width - 1:
                # Children separated by ';' in a ';' file, without quotes.
                reason += " Если это логины детей, перечислите их в одной ячейке через запятую."
            check.problems.append((column, reason))
        kind = check.kind()
        if kind is not None:
            self.kinds_seen.add(kind)
        name = check.name()
        login = check.login("login", "Логин")
        if login:
            self.people.setdefault(login, []).append((line, kind))
        data = check.personal_data(kind, self.today, birth_date_column="birth_date" in self.index)
        position, role, employment_start = "", None, None
        if kind is PersonKind.STAFF:
            position = check.position(required="position" in self.index)
            role = check.role()
            employment_start = check.employment_start(self.today)
        elif kind is not None:
            check.staff_only()
        children = check.children(kind, required="children" in self.index)
        if children:
            self.links.append((line, login, children))
        for column, reason in check.problems:
            self._problem(line, column, reason)
        if check.problems or kind is None or name is None or data is None:
            return
        self.rows.append(
            ImportRow(
                line=line,
                kind=kind,
                name=name,
                login=login,
                personal_data=data,
                position=position,
                role=role,
                employment_start=employment_start,
                children=tuple(children),
            )
        )

    def _duplicates(self) -> None:
        login_column = self.columns["login"]
        for login, seen in self.people.items():
            if len(seen) < 2:
                continue
            lines = [line for line, _ in seen]
            for line in lines:
                others = ", ".join(str(other) for other in lines if other != line)
                where = "строке" if len(lines) == 2 else "строках"
                self._problem(
                    line, login_column, f"Логин «{login}» повторяется: он же в {where} {others}."
                )

    def _children(self) -> list[ChildReference]:
        """Children must be students: of this file, or (for the service to find) already."""
        column = self.columns.get("children", COLUMNS["children"].label)
        unresolved: list[tuple[int, str, str]] = []
        for line, login, children in self.links:
            for child in children:
                seen = self.people.get(child)
                if seen is None:
                    unresolved.append((line, login, child))
                    continue
                child_line, kind = seen[0]
                # A row of unknown kind is reported on its own line already.
                if kind is not None and kind is not PersonKind.STUDENT:
                    self._problem(
                        line,
                        column,
                        f"«{child}» в строке {child_line} — {_KIND_NAMES[kind]}, а не ученик.",
                    )
        # Lines with problems are not imported: their references need no lookup.
        return [
            ChildReference(line, column, login, child)
            for line, login, child in unresolved
            if line not in self.bad_lines
        ]


class _Line:
    """One row's cells by field name, and what is wrong with them (column, reason)."""

    def __init__(self, parser: _Parser, cells: list[Cell]) -> None:
        count = len(cells)
        self.cells = {name: cells[i] for name, i in parser.index.items() if i < count}
        self.texts = {
            name: cell.strip() if isinstance(cell, str) else _text(cell)
            for name, cell in self.cells.items()
        }
        self.columns = parser.columns
        self.problems: list[tuple[str, str]] = []

    def text(self, name: str) -> str:
        return self.texts.get(name, "")

    def column(self, name: str) -> str:
        return self.columns.get(name) or COLUMNS[name].label

    def bad(self, name: str, reason: str) -> None:
        self.problems.append((self.column(name), reason))

    def parse_date(self, name: str) -> date | None:
        try:
            return _date(self.cells.get(name, ""))
        except _BadDateError as error:
            self.bad(name, str(error))
            return None

    def kind(self) -> PersonKind | None:
        text = self.text("kind")
        kind = _KINDS.get(value_key(text))
        if kind is None:
            self.bad(
                "kind",
                f"Неизвестный тип «{text}»: укажите сотрудник, ученик или представитель."
                if text
                else "Не указано, кто это: сотрудник, ученик или представитель.",
            )
        return kind

    def name(self) -> FullName | None:
        parts = {part: self.text(part) for part in ("last_name", "first_name", "patronymic")}
        for part, value in parts.items():
            if _MIXED_SCRIPT.search(value):
                self.bad(
                    part,
                    f"В «{normalize_name(value)}» смешаны русские и латинские буквы "
                    "(например, латинская «а» или «о» в русском слове).",
                )
        try:
            return FullName.parse(parts["last_name"], parts["first_name"], parts["patronymic"])
        except InvalidArgument as error:
            for violation in error.violations:
                self.bad(violation.field, _name_reason(violation.field, parts[violation.field]))
            return None

    def login(self, name: str, what: str) -> str:
        text = self.text(name)
        try:
            return validate_login(text)
        except InvalidArgument:
            self.bad(name, _login_reason(text, what))
            return ""

    def personal_data(
        self, kind: PersonKind | None, today: date, *, birth_date_column: bool
    ) -> PersonalData | None:
        problems = len(self.problems)
        birth_date = self.parse_date("birth_date")
        if len(self.problems) > problems:
            birth_date = None
        elif birth_date is None and kind is PersonKind.STUDENT and birth_date_column:
            self.bad("birth_date", "Для ученика нужна дата рождения.")
        data = PersonalData(
            birth_date=birth_date,
            email=self.text("email"),
            phone=self.text("phone"),
            address=self.text("address"),
        )
        try:
            return data.validated(today=today, prefix="")
        except InvalidArgument as error:
            for violation in error.violations:
                reason = _personal_reason(violation.field, data, today, violation.description)
                if violation.field in COLUMNS:
                    self.bad(violation.field, reason)
                else:
                    self.problems.append(("", reason))
            return None

    def position(self, *, required: bool) -> str:
        position = " ".join(self.text("position").split())
        if not position and required:
            self.bad("position", "Для сотрудника нужна должность.")
        elif len(position) > MAX_POSITION:
            self.bad("position", f"Должность длиннее {MAX_POSITION} символов.")
        return position

    def role(self) -> StaffRole | None:
        text = self.text("role")
        if not text:
            return StaffRole.TEACHER
        role = _ROLES.get(value_key(text))
        if role is None:
            self.bad(
                "role",
                f"Неизвестная роль «{text}»: укажите учитель, заместитель директора, директор "
                "или администратор.",
            )
        return role

    def employment_start(self, today: date) -> date:
        start = self.parse_date("employment_start") or today
        if start < EARLIEST_DATE:
            self.bad("employment_start", "Дата приёма раньше 1900 года.")
        elif start > today + timedelta(days=366):
            self.bad("employment_start", f"Дата приёма {_show(start)} больше чем через год.")
        return start

    def staff_only(self) -> None:
        for name in STAFF_ONLY:
            if self.text(name):
                self.bad(name, f"Столбец «{self.column(name)}» заполняют только для сотрудников.")

    def children(self, kind: PersonKind | None, *, required: bool) -> list[str]:
        text = self.text("children")
        if kind is None:
            return []
        if kind is PersonKind.STUDENT:
            if text:
                self.bad(
                    "children",
                    f"У ученика столбец «{self.column('children')}» не заполняют: он для "
                    "представителей.",
                )
            return []
        if not text:
            if kind is PersonKind.GUARDIAN and required:
                self.bad(
                    "children",
                    f"Для представителя укажите логины детей в столбце "
                    f"«{self.column('children')}».",
                )
            return []
        children: list[str] = []
        for raw in _split_logins(text):
            try:
                child = validate_login(raw)
            except InvalidArgument:
                self.bad("children", _login_reason(raw, "Логин ребёнка"))
                continue
            if child not in children:
                children.append(child)
        return children


def _missing(name: str) -> str:
    return f"Нет обязательного столбца «{COLUMNS[name].label}»."
