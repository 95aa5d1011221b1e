"""Importing people from a school's CSV or XLSX: every bad line named, good files typed."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import openpyxl  # type: ignore[import-untyped]
import pytest
from bench.people_files import HEADERS, people_csv, people_xlsx, school_people

from zhurnal_identity.domain import imports
from zhurnal_identity.domain.imports import (
    ChildReference,
    ImportPlan,
    ImportProblem,
    StaffRole,
    parse_people_file,
)
from zhurnal_identity.domain.people import FullName, PersonalData, PersonKind

FIXTURES = Path(__file__).parent.parent / "fixtures"
TODAY = date(2025, 9, 1)
HEADER_RU = "Тип;Фамилия;Имя;Отчество;Логин;Дата рождения;Должность;Роль;Дети"


def parse(content: bytes | str, fmt: Literal["csv", "xlsx"] = "csv") -> ImportPlan:
    if isinstance(content, str):
        content = content.encode()
    return parse_people_file(content, fmt, today=TODAY)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def where(plan: ImportPlan) -> list[tuple[int, str]]:
    return [(problem.line, problem.column) for problem in plan.problems]


def summary(plan: ImportPlan) -> list[tuple[object, ...]]:
    """What a row means, without its line: the same people in any file format."""
    return [
        (
            row.kind,
            row.name,
            row.login,
            row.personal_data,
            row.position,
            row.role,
            row.employment_start,
            row.children,
        )
        for row in plan.rows
    ]


# --- good files ----------------------------------------------------------------------------


def test_a_russian_utf8_csv_from_excel_is_read_in_full() -> None:
    plan = parse(fixture("people_ru_utf8.csv"))

    assert plan.ok, plan.problems
    assert plan.lines == 8  # the empty line is skipped and not counted
    assert [row.line for row in plan.rows] == [2, 3, 4, 5, 6, 8, 9, 10]  # but keeps its number
    assert plan.ignored_columns == ["№"]
    assert plan.columns["employment_start"] == "Дата приёма"

    director, teacher, deputy, son, daughter, mother, father, student = plan.rows
    assert director.name == FullName("Римская-Корсакова", "Алёна", "Фёдоровна")
    assert director.kind is PersonKind.STAFF
    assert director.role is StaffRole.DIRECTOR
    assert director.position == "директор"
    assert director.employment_start == date(2010, 9, 1)
    assert director.personal_data == PersonalData(
        birth_date=date(1980, 4, 12), email="korsakova@example.com", phone="+7 (921) 123-45-67"
    )
    # No role: a teacher; an ISO date; a teacher whose son studies here is his guardian too.
    assert teacher.role is StaffRole.TEACHER
    assert teacher.employment_start == date(2015, 8, 25)
    assert teacher.children == ("korolev.ap",)
    assert teacher.kinds == {PersonKind.STAFF, PersonKind.GUARDIAN}
    # No employment date: hired today.
    assert (deputy.role, deputy.employment_start) == (StaffRole.DEPUTY, TODAY)
    assert deputy.name.first == "Ольга" and deputy.name.last == "Ёлкина"

    assert son.personal_data.birth_date == date(2012, 3, 5)
    assert son.personal_data.address == "г. Вологда; ул. Мира, д. 5"  # quoted ';'
    assert daughter.kind is PersonKind.STUDENT  # «ученица»
    assert daughter.personal_data.birth_date == date(2014, 11, 30)
    assert mother.kind is PersonKind.GUARDIAN
    assert mother.children == ("korolev.ap", "koroleva.fp")
    assert father.kind is PersonKind.GUARDIAN  # «родитель»
    assert student.name == FullName("Д'Артаньян", "Шарль")
    assert student.personal_data.birth_date == date(2011, 9, 1)  # 1.9.2011

    assert [row.login for row in plan.students] == ["korolev.ap", "koroleva.fp", "dartanian.s"]
    assert [row.login for row in plan.staff] == ["rimskaia-korsakova.af", "korolev.ps", "elkina.oa"]
    assert [row.login for row in plan.guardians] == [
        "korolev.ps",
        "koroleva.ai",
        "petrov-vodkin.ks",
    ]
    # A child who is not in the file: the service must find them among the students.
    assert plan.external_children == [
        ChildReference(9, "Дети", "petrov-vodkin.ks", "petrov-vodkin.ia")
    ]


def test_a_windows_1251_csv_with_commas_and_an_english_header_in_any_order() -> None:
    plan = parse(fixture("people_en_cp1251.csv"))

    assert plan.ok, plan.problems
    assert plan.lines == 6
    assert plan.columns["last_name"] == "LAST_NAME"
    teacher, deputy, admin, daughter, son, father = plan.rows
    assert teacher.position == "учитель русского языка, литературы"  # quoted ','
    assert teacher.personal_data.birth_date == date(1979, 2, 1)
    assert [row.role for row in (teacher, deputy, admin)] == [
        StaffRole.TEACHER,
        StaffRole.DEPUTY,
        StaffRole.ADMINISTRATOR,
    ]
    assert admin.name == FullName("Щукин", "Илья")
    assert daughter.name == FullName("Журавлёва", "Милана", "Ильинична")
    assert son.name.last == "Журавлёв"
    assert father.children == ("zhuravleva.mi", "zhuravlev.ki")
    assert father.personal_data.address == "Вологда, ул. Садовая, д. 1"
    assert plan.external_children == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "utf-16"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_every_encoding_and_separator_excel_offers_gives_the_same_people(
    encoding: str, delimiter: str
) -> None:
    rows = school_people(40, seed=3, today=TODAY)
    reference = parse(people_csv(rows))
    plan = parse(people_csv(rows, encoding=encoding, delimiter=delimiter))

    assert reference.ok and plan.ok, plan.problems
    assert summary(plan) == summary(reference)
    assert any("ё" in row.name.display.lower() for row in plan.rows)
    assert any("-" in row.name.last for row in plan.rows)


def test_an_xlsx_workbook_gives_the_same_people_as_the_csv() -> None:
    rows = school_people(40, seed=3, today=TODAY)
    from_csv = parse(people_csv(rows, iso_dates=True))
    from_xlsx = parse(people_xlsx(rows), "xlsx")

    assert from_xlsx.ok, from_xlsx.problems
    assert from_xlsx.lines == len(rows)
    assert summary(from_xlsx) == summary(from_csv)


def openpyxl_workbook(*rows: Sequence[object]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_a_title_date_cells_and_numbers() -> None:
    header = ["Kind", "Last name", "First name", "Login", "Birth date", "Phone", "Children"]
    content = openpyxl_workbook(
        ["Список учеников 5 «А» класса"],
        [],
        header,
        ["ученик", "Семёнова", "Алёна", "semenova.a", datetime(2014, 2, 3), None, None],
        ["ученик", "Фёдоров", "Лев", "fedorov.l", 41_000, None, None],  # a serial day
        [None] * 7,
        ["представитель", "Семёнов", "Пётр", "semenov.p", "", 79_161_234_567, "semenova.a"],
        ["ученик", "Орлов", "Глеб", "orlov.g", 2012, None, None],  # a year is not a date
    )
    plan = parse(content, "xlsx")

    assert where(plan) == [(8, "Birth date")]
    assert "не распознана" in plan.problems[0].reason
    assert plan.lines == 4
    first, second, guardian = plan.rows
    assert (first.line, first.personal_data.birth_date) == (4, date(2014, 2, 3))
    assert second.personal_data.birth_date == date(1899, 12, 30) + timedelta(days=41_000)
    assert (guardian.line, guardian.personal_data.phone) == (7, "79161234567")
    assert guardian.children == ("semenova.a",)


def test_a_workbook_sent_as_csv_is_still_read_as_a_workbook() -> None:
    rows = school_people(5, seed=1, today=TODAY)
    assert summary(parse(people_xlsx(rows), "csv")) == summary(parse(people_csv(rows)))


@pytest.mark.parametrize(
    "header",
    [
        "Тип;Фамилия;Имя;Отчество;Логин;Дата рождения",
        "ТИП;фамилия;ИМЯ;отчество;ЛОГИН;ДАТА РОЖДЕНИЯ",
        "Логин;Дата рождения (ДД.ММ.ГГГГ);Тип;Фамилия*;Имя*;Отчество",
        "kind;last_name;first_name;patronymic;login;birth_date",
        "Login;Birth Date;KIND;Last Name;First Name;Middle name",
    ],
)
def test_header_names_in_russian_or_english_any_case_any_order(header: str) -> None:
    values = {
        "тип": "ученик",
        "kind": "ученик",
        "фамилия": "Ёлкин",
        "last": "Ёлкин",
        "имя": "Семён",
        "first": "Семён",
        "отчество": "Артёмович",
        "patronymic": "Артёмович",
        "middle": "Артёмович",
        "логин": "elkin.sa",
        "login": "elkin.sa",
        "дата": "01.02.2013",
        "birth": "01.02.2013",
    }
    names = header.split(";")
    row = ";".join(values[name.lower().strip("*").replace("_", " ").split()[0]] for name in names)
    plan = parse(f"{header}\n{row}\n")

    assert plan.ok, plan.problems
    (student,) = plan.rows
    assert student.name == FullName("Ёлкин", "Семён", "Артёмович")
    assert student.login == "elkin.sa"
    assert student.personal_data.birth_date == date(2013, 2, 1)


# --- bad files -----------------------------------------------------------------------------


def test_a_bad_file_names_every_bad_line_with_its_column_and_reason() -> None:
    plan = parse(fixture("people_bad.csv"))

    assert plan.lines == 12
    assert [problem.line for problem in plan.problems] == sorted(
        problem.line for problem in plan.problems
    )
    reasons = {(p.line, p.column): p.reason for p in plan.problems}
    assert list(reasons) == [
        (2, "Логин"),
        (2, "Должность"),
        (3, "Тип"),
        (4, "Имя"),
        (4, "Дата рождения"),
        (5, "Фамилия"),
        (5, "Логин"),
        (5, "Дата рождения"),
        (6, "Дата рождения"),
        (6, "Эл. почта"),
        (6, "Телефон"),
        (7, "Роль"),
        (7, "Дата приёма"),
        (8, "Дети"),
        (9, "Логин"),
        (9, "столбец 14"),
        (10, "Дети"),
        (11, "Фамилия"),
        (11, "Дети"),
        (12, "Должность"),
    ]
    assert len(plan.problems) == 21  # line 10 has two problems in «Дети»
    expected = {
        (2, "Логин"): "«ivanova.a» повторяется: он же в строке 9",
        (2, "Должность"): "Для сотрудника нужна должность",
        (3, "Тип"): "Неизвестный тип «учитель»",
        (4, "Имя"): "Имя не указано",
        (4, "Дата рождения"): "Для ученика нужна дата рождения",
        (5, "Фамилия"): "«Кузнецов2» может содержать только буквы",
        (5, "Логин"): "русские буквы в логине не допускаются",
        (5, "Дата рождения"): "01.01.2030 ещё не наступила",
        (6, "Дата рождения"): "Такой даты нет в календаре: «31.02.2013»",
        (6, "Эл. почта"): "«mail@» указан с ошибкой",
        (6, "Телефон"): "«12» указан с ошибкой",
        (7, "Роль"): "Неизвестная роль «завхоз»",
        (7, "Дата приёма"): "«32.13.2020»",
        (8, "Дети"): "укажите логины детей",
        (9, "Логин"): "«ivanova.a» повторяется: он же в строке 2",
        (9, "столбец 14"): "больше ячеек, чем столбцов в заголовке",
        (11, "Фамилия"): "смешаны русские и латинские буквы",
        (11, "Дети"): "У ученика столбец «Дети» не заполняют",
        (12, "Должность"): "заполняют только для сотрудников",
    }
    for key, words in expected.items():
        assert words in reasons[key], (key, reasons[key])
    line_10 = [p.reason for p in plan.problems if p.line == 10]
    assert "Логин ребёнка «Маша» не подходит" in line_10[0]
    assert line_10[1] == "«volkov.o» в строке 7 — сотрудник, а не ученик."
    # The one good line is typed; bad lines are never half-imported.
    assert [row.login for row in plan.rows] == ["belykh.so"]
    assert not plan.ok


def test_duplicate_logins_name_every_other_line_ignoring_case() -> None:
    plan = parse(
        f"{HEADER_RU}\n"
        "ученик;Орлов;Глеб;;orlov.g;01.01.2014;;;\n"
        "ученик;Орлова;Вера;;belova.v;01.01.2014;;;\n"
        "ученик;Орлов;Гриша;;Orlov.G;01.01.2015;;;\n"
        "сотрудник;Орлова;Галина;;orlov.g ;;учитель;;\n"
    )

    assert [(p.line, p.reason) for p in plan.problems] == [
        (2, "Логин «orlov.g» повторяется: он же в строках 4, 5."),
        (4, "Логин «orlov.g» повторяется: он же в строках 2, 5."),
        (5, "Логин «orlov.g» повторяется: он же в строках 2, 4."),
    ]
    assert [row.login for row in plan.rows] == ["belova.v"]


def test_guardians_link_children_in_the_file_or_refer_to_existing_students() -> None:
    plan = parse(
        f"{HEADER_RU}\n"
        # a guardian may come before the children
        'представитель;Зайцева;Вера;;zaitseva.v;;;;"zaitsev.m, zaitseva.a ;zaitsev.m"\n'
        "ученик;Зайцев;Максим;;zaitsev.m;01.01.2014;;;\n"
        "ученик;Зайцева;Алиса;;zaitseva.a;01.01.2016;;;\n"
        "сотрудник;Зайцев;Олег;;zaitsev.o;;учитель физики;;zaitsev.m,old.student\n"
        "представитель;Гусев;Егор;;gusev.e;;;;gusev.k\n"
    )

    assert plan.ok, plan.problems
    assert plan.rows[0].children == ("zaitsev.m", "zaitseva.a")  # the repeat is dropped
    assert plan.rows[3].kinds == {PersonKind.STAFF, PersonKind.GUARDIAN}
    assert plan.external_children == [
        ChildReference(5, "Дети", "zaitsev.o", "old.student"),
        ChildReference(6, "Дети", "gusev.e", "gusev.k"),
    ]
    # The service looks the references and logins up, and gets the problems worded alike.
    assert plan.directory_problems(existing_students={"old.student"}, taken_logins=set()) == [
        ImportProblem(
            6,
            "Дети",
            "Ученик с логином «gusev.k» не найден ни в файле, ни среди учеников учреждения.",
        )
    ]
    assert plan.directory_problems(
        existing_students={"old.student", "gusev.k"}, taken_logins={"zaitsev.o"}
    ) == [ImportProblem(5, "Логин", "Логин «zaitsev.o» уже занят: выберите другой.")]


def test_a_child_must_be_a_student() -> None:
    plan = parse(
        f"{HEADER_RU}\n"
        "сотрудник;Лебедева;Анна;;lebedeva.a;;учитель;;\n"
        "представитель;Лебедев;Иван;;lebedev.i;;;;lebedeva.a lebedev.i\n"
    )
    assert [(p.line, p.reason) for p in plan.problems] == [
        (3, "«lebedeva.a» в строке 2 — сотрудник, а не ученик."),
        (3, "«lebedev.i» в строке 3 — представитель, а не ученик."),
    ]
    assert plan.external_children == []


def test_birth_dates_students_need_one_and_it_must_have_come() -> None:
    plan = parse(
        f"{HEADER_RU}\n"
        "ученик;Орлов;Глеб;;orlov.g;;;;\n"
        f"ученик;Орлов;Лев;;orlov.l;{(TODAY + timedelta(days=1)):%d.%m.%Y};;;\n"
        "ученик;Орлов;Пётр;;orlov.p;31.12.1899;;;\n"
        "ученик;Орлов;Иван;;orlov.i;12/03/2012;;;\n"
        f"ученик;Орлов;Олег;;orlov.o;{TODAY:%d.%m.%Y};;;\n"
        "представитель;Орлова;Ольга;;orlova.o;;;;orlov.o\n"
    )
    assert [(p.line, p.column, p.reason) for p in plan.problems] == [
        (2, "Дата рождения", "Для ученика нужна дата рождения."),
        (3, "Дата рождения", "Дата рождения 02.09.2025 ещё не наступила."),
        (4, "Дата рождения", "Дата рождения 31.12.1899 раньше 1900 года."),
        (
            5,
            "Дата рождения",
            "Дата «12/03/2012» не распознана: пишите ДД.ММ.ГГГГ (например, 05.03.2012) "
            "или ГГГГ-ММ-ДД.",
        ),
    ]
    assert [row.login for row in plan.rows] == ["orlov.o", "orlova.o"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05.03.2012", date(2012, 3, 5)),
        ("5.3.2012", date(2012, 3, 5)),
        ("2012-03-05", date(2012, 3, 5)),
        ("05.03.2012 0:00:00", date(2012, 3, 5)),
        ("05.03.2012 г.", date(2012, 3, 5)),
        (" 05.03.2012 ", date(2012, 3, 5)),
    ],
)
def test_dates_as_people_write_them(value: str, expected: date) -> None:
    plan = parse(f"{HEADER_RU}\nученик;Орлов;Глеб;;orlov.g;{value};;;\n")
    assert plan.ok, plan.problems
    assert plan.rows[0].personal_data.birth_date == expected


def test_kinds_and_roles_in_russian_or_english_any_case() -> None:
    plan = parse(
        f"{HEADER_RU}\n"
        "Учащийся;Орлов;Глеб;;orlov.g;01.01.2014;;;\n"
        "обучающаяся;Орлова;Вера;;orlova.v;01.01.2014;;;\n"
        "Родитель (законный представитель);Орлова;Ольга;;orlova.o;;;;orlov.g\n"
        "Guardian;Орлов;Олег;;orlov.o;;;;orlova.v\n"
        "staff;Лебедева;Анна;;lebedeva.a;;учитель;Зам. директора по УВР;\n"
        "Сотрудник;Лебедев;Иван;;lebedev.i;;директор;DIRECTOR;\n"
        "сотрудник;Щукин;Илья;;shchukin.i;;инженер;Администратор системы;\n"
    )
    assert plan.ok, plan.problems
    assert [row.kind for row in plan.rows] == [
        PersonKind.STUDENT,
        PersonKind.STUDENT,
        PersonKind.GUARDIAN,
        PersonKind.GUARDIAN,
        PersonKind.STAFF,
        PersonKind.STAFF,
        PersonKind.STAFF,
    ]
    assert [row.role for row in plan.staff] == [
        StaffRole.DEPUTY,
        StaffRole.DIRECTOR,
        StaffRole.ADMINISTRATOR,
    ]


def test_missing_required_columns_are_one_problem_each_on_the_header_line() -> None:
    plan = parse("Фамилия;Имя;Дата рождения\nОрлов;Глеб;01.01.2014\nОрлова;Вера;01.01.2014\n")
    assert [(p.line, p.column, p.reason) for p in plan.problems] == [
        (1, "Тип", "Нет обязательного столбца «Тип»."),
        (1, "Логин", "Нет обязательного столбца «Логин»."),
    ]
    assert plan.lines == 2
    assert plan.rows == []


def test_columns_a_kind_needs_are_one_problem_when_that_kind_is_in_the_file() -> None:
    plan = parse(
        "Тип;Фамилия;Имя;Логин\n"
        "ученик;Орлов;Глеб;orlov.g\n"
        "сотрудник;Лебедева;Анна;lebedeva.a\n"
        "ученик;Орлова;Вера;orlova.v\n"
    )
    assert [(p.line, p.column, p.reason) for p in plan.problems] == [
        (1, "Дата рождения", "Нет столбца «Дата рождения»: он нужен, когда в файле есть ученики."),
        (1, "Должность", "Нет столбца «Должность»: он нужен, когда в файле есть сотрудники."),
    ]
    # Without students or staff, neither column is needed.
    assert parse("Тип;Фамилия;Имя;Логин;Дети\nпредставитель;Орлова;Ольга;orlova.o;x.child\n").ok


def test_a_column_given_twice_is_a_header_problem() -> None:
    plan = parse(
        "Тип;Фамилия;Имя;Логин;Дети;Login\nпредставитель;Орлова;Вера;orlova.v;orlov.g;orlova.v\n"
    )
    assert where(plan) == [(1, "Login")]
    assert "повторяет столбец «Логин»" in plan.problems[0].reason


def test_cells_beyond_the_header_are_a_problem_but_empty_ones_are_not() -> None:
    plan = parse(
        "Тип;Фамилия;Имя;;Логин;Дата рождения;Класс\n"
        "ученик;Орлов;Глеб;;orlov.g;01.01.2014;5А;;\n"  # Excel's trailing separators
        "ученик;Орлова;Вера;заметка;orlova.v;01.01.2014;5Б\n"
        "ученик;Орлов;Лев;;orlov.l;01.01.2014;;;и ещё\n"
    )
    assert where(plan) == [(4, "столбец 9")]
    assert "«и ещё»" in plan.problems[0].reason
    # Columns that are not ours, named or not, are read past and listed.
    assert plan.ignored_columns == ["столбец 4", "Класс"]
    assert [row.login for row in plan.rows] == ["orlov.g", "orlova.v"]


def test_children_spilling_past_the_last_column_get_a_hint() -> None:
    plan = parse(f"{HEADER_RU}\nпредставитель;Орлова;Ольга;;orlova.o;;;;x.child;y.child\n")
    assert where(plan) == [(2, "столбец 10")]
    assert "перечислите их в одной ячейке через запятую" in plan.problems[0].reason


def test_empty_rows_are_skipped_and_not_counted_but_keep_line_numbers() -> None:
    plan = parse(f"\n{HEADER_RU}\n;;;;\n\nученик;Орлов;Глеб;;orlov.g;;;;\n   \n")
    assert plan.lines == 1
    assert where(plan) == [(5, "Дата рождения")]


@pytest.mark.parametrize(
    ("content", "fmt", "words"),
    [
        (b"", "csv", "Файл пуст"),
        (b" \r\n\t ", "csv", "Файл пуст"),
        (b";;;\n;;\n", "csv", "Файл пуст"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "xlsx", "Excel 97–2003"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "csv", "Excel 97–2003"),
        (bytes(range(256)) * 4, "csv", "не похож на таблицу CSV"),
        (b"%PDF-1.7\n\x00\x01\x02", "csv", "не похож на таблицу CSV"),
        ("Тип;Фамилия".encode(), "xlsx", "не является книгой Excel"),
        (b"PK\x03\x04 not really a zip", "xlsx", "не является книгой Excel"),
    ],
)
def test_a_file_that_is_not_a_table_is_one_problem_on_line_1(
    content: bytes, fmt: Literal["csv", "xlsx"], words: str
) -> None:
    plan = parse(content, fmt)
    assert where(plan) == [(1, "")]
    assert words in plan.problems[0].reason
    assert (plan.lines, plan.rows) == (0, [])


def test_a_zip_that_is_not_a_workbook_is_one_problem() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "не книга")
    plan = parse(out.getvalue(), "xlsx")
    assert where(plan) == [(1, "")]


def test_a_header_without_people_is_a_problem() -> None:
    plan = parse(f"{HEADER_RU}\n;;;\n")
    assert where(plan) == [(1, "")]
    assert "нет ни одной строки с людьми" in plan.problems[0].reason


def test_an_unreadable_csv_line_keeps_the_problems_found_before_it() -> None:
    huge = "я" * 200_000  # beyond the csv module's field limit
    plan = parse(f'{HEADER_RU}\nученик;Орлов;Глеб;;orlov;;;;\nученик;"{huge}";;;x;;;;\n')
    assert [line for line, _ in where(plan)] == [2, 3]
    assert "не читается как CSV" in plan.problems[-1].reason


def test_too_many_lines_stop_the_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_LINES", 2)
    row = "ученик;Орлов;Глеб;;orlov.{};01.01.2014;;;\n"
    plan = parse(HEADER_RU + "\n" + "".join(row.format(i) for i in "abcd"))
    assert where(plan) == [(4, "")]
    assert "больше 2 строк" in plan.problems[0].reason


# --- a whole school ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def school() -> list[dict[str, str | date]]:
    return school_people(2000, today=TODAY)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_school_of_2000_students_parses_without_problems(
    school: list[dict[str, str | date]], fmt: Literal["csv", "xlsx"]
) -> None:
    content = people_csv(school, encoding="cp1251") if fmt == "csv" else people_xlsx(school)
    plan = parse(content, fmt)

    assert plan.ok, plan.problems[:5]
    assert plan.lines == len(plan.rows) == len(school)
    assert len(plan.students) == 2000
    assert len({row.login for row in plan.rows}) == len(school)
    assert plan.external_children == []
    student_logins = {row.login for row in plan.students}
    assert all(set(row.children) <= student_logins for row in plan.guardians)
    assert any(row.kinds == {PersonKind.STAFF, PersonKind.GUARDIAN} for row in plan.staff)
    assert {row.role for row in plan.staff} == set(StaffRole)


def test_the_generated_file_has_both_header_languages() -> None:
    rows = school_people(3, seed=5, today=TODAY)
    english = parse(people_csv(rows, language="en", delimiter=","))
    assert english.ok, english.problems
    assert english.columns == {name: name for name in HEADERS["en"]}
    assert summary(english) == summary(parse(people_csv(rows)))
