"""Realistic school people files (CSV and XLSX bytes) for the import's tests and benchmark.

A school of N students: families of one to three children with their mothers, fathers and
now and then a grandmother as guardians (some listed before their children, some after), a
few teachers who are parents of students themselves, and the staff: a director, deputies, an
administrator and teachers. Names are Russian, with Ё, hyphenated surnames and patronymics
made from the father's name; logins are unique transliterations.

    rows = school_people(2000)
    people_csv(rows, encoding="cp1251", delimiter=";")   # bytes, as Excel saves it
    people_xlsx(rows, language="en")                     # bytes, dates as real date cells

``python tests/bench/people_files.py [students]`` prints how long parsing takes.
"""

from __future__ import annotations

import csv
import io
import random
import sys
import time
import zipfile
from datetime import date, timedelta
from typing import Literal
from xml.sax.saxutils import escape

Value = str | date
Person = dict[str, Value]
Language = Literal["ru", "en"]

FIELDS = (
    "kind",
    "last_name",
    "first_name",
    "patronymic",
    "login",
    "birth_date",
    "email",
    "phone",
    "address",
    "position",
    "role",
    "employment_start",
    "children",
)
HEADERS: dict[Language, dict[str, str]] = {
    "ru": {
        "kind": "Тип",
        "last_name": "Фамилия",
        "first_name": "Имя",
        "patronymic": "Отчество",
        "login": "Логин",
        "birth_date": "Дата рождения",
        "email": "Эл. почта",
        "phone": "Телефон",
        "address": "Адрес",
        "position": "Должность",
        "role": "Роль",
        "employment_start": "Дата приёма",
        "children": "Дети",
    },
    "en": {name: name for name in FIELDS},
}
VALUES: dict[Language, dict[str, str]] = {
    "ru": {
        "staff": "сотрудник",
        "student": "ученик",
        "guardian": "представитель",
        "teacher": "учитель",
        "deputy": "заместитель директора",
        "director": "директор",
        "administrator": "администратор",
    },
    "en": {},
}

# (male, female) forms.
SURNAMES = [
    ("Иванов", "Иванова"),
    ("Смирнов", "Смирнова"),
    ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"),
    ("Соловьёв", "Соловьёва"),
    ("Королёв", "Королёва"),
    ("Воробьёв", "Воробьёва"),
    ("Ёлкин", "Ёлкина"),
    ("Журавлёв", "Журавлёва"),
    ("Семёнов", "Семёнова"),
    ("Фёдоров", "Фёдорова"),
    ("Киселёв", "Киселёва"),
    ("Пугачёв", "Пугачёва"),
    ("Лебедев", "Лебедева"),
    ("Козлов", "Козлова"),
    ("Новиков", "Новикова"),
    ("Морозов", "Морозова"),
    ("Петров-Водкин", "Петрова-Водкина"),
    ("Мамин-Сибиряк", "Мамина-Сибиряк"),
    ("Римский-Корсаков", "Римская-Корсакова"),
    ("Соколов-Микитов", "Соколова-Микитова"),
    ("Белых", "Белых"),
    ("Черных", "Черных"),
    ("Шевченко", "Шевченко"),
    ("Щукин", "Щукина"),
    ("Толстой", "Толстая"),
    ("Достоевский", "Достоевская"),
    ("Орлов", "Орлова"),
    ("Зайцев", "Зайцева"),
    ("Голубев", "Голубева"),
    ("Виноградов", "Виноградова"),
    ("Богданов", "Богданова"),
    ("Волков", "Волкова"),
    ("Медведев", "Медведева"),
    ("Ершов", "Ершова"),
    ("Никитин", "Никитина"),
    ("Сорокин", "Сорокина"),
    ("Захаров", "Захарова"),
    ("Ильин", "Ильина"),
    ("Гусев", "Гусева"),
    ("Кудрявцев", "Кудрявцева"),
    ("Куликов", "Куликова"),
    ("Степанов", "Степанова"),
    ("Яковлев", "Яковлева"),
]
# Male names with the patronymics they give (son's, daughter's).
MEN = [
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Пётр", "Петрович", "Петровна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Семён", "Семёнович", "Семёновна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Никита", "Никитич", "Никитична"),
    ("Лев", "Львович", "Львовна"),
    ("Павел", "Павлович", "Павловна"),
    ("Егор", "Егорович", "Егоровна"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Роман", "Романович", "Романовна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Матвей", "Матвеевич", "Матвеевна"),
    ("Тимофей", "Тимофеевич", "Тимофеевна"),
    ("Глеб", "Глебович", "Глебовна"),
]
WOMEN = [
    "Алёна",
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Татьяна",
    "Наталья",
    "Дарья",
    "Софья",
    "Полина",
    "Ксения",
    "Варвара",
    "Анастасия",
    "Екатерина",
    "Ирина",
    "Светлана",
    "Юлия",
    "Виктория",
    "Вера",
    "Любовь",
    "Надежда",
    "Ульяна",
    "Алиса",
    "Милана",
    "Фёкла",
]
STREETS = [
    "ул. Ленина",
    "ул. Советская",
    "ул. Мира",
    "ул. Пушкина",
    "ул. Гагарина",
    "пр. Победы",
    "ул. Школьная",
    "ул. Садовая",
    "ул. Молодёжная",
    "ул. Лермонтова",
    "Вологодский пер.",
]
SUBJECTS = [
    "математики",
    "русского языка и литературы",
    "физики",
    "информатики",
    "химии",
    "биологии",
    "истории и обществознания",
    "географии",
    "английского языка",
    "немецкого языка",
    "физической культуры",
    "музыки",
    "изобразительного искусства",
    "технологии",
    "начальных классов",
]
TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "ie",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
}


def translit(text: str) -> str:
    """'Ёлкина-Щукина' -> 'elkina-shchukina' (the passport transliteration, lowercase)."""
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower() if ch != "'")


class _School:
    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng, self.today = rng, today
        self.logins: set[str] = set()

    def login(self, last: str, first: str, patronymic: str) -> str:
        base = f"{translit(last)}.{translit(first)[0]}{translit(patronymic)[:1]}"
        login, n = base, 1
        while login in self.logins:
            n += 1
            login = f"{base}{n}"
        self.logins.add(login)
        return login

    def phone(self) -> str:
        r = self.rng.randint
        return f"+7 9{r(0, 99):02d} {r(0, 999):03d}-{r(0, 99):02d}-{r(0, 99):02d}"

    def address(self) -> str:
        r = self.rng
        return f"г. Вологда, {r.choice(STREETS)}, д. {r.randint(1, 120)}, кв. {r.randint(1, 200)}"

    def born(self, youngest: int, oldest: int) -> date:
        years = self.rng.randint(youngest, oldest)
        return self.today - timedelta(days=365 * years + self.rng.randint(0, 364))

    def person(self, kind: str, last: str, first: str, patronymic: str, **more: Value) -> Person:
        row: Person = {name: "" for name in FIELDS}
        row |= {"kind": kind, "last_name": last, "first_name": first, "patronymic": patronymic}
        row["login"] = self.login(last, first, patronymic)
        row.update(more)
        return row

    def adult(self, kind: str, last: str, first: str, patronymic: str, **more: Value) -> Person:
        row = self.person(kind, last, first, patronymic, **more)
        row["phone"] = self.phone()
        if self.rng.random() < 0.7:
            row["email"] = f"{row['login']}@example.com"
        return row


def school_people(
    students: int,
    *,
    staff: int | None = None,
    seed: int = 2025,
    today: date = date(2025, 9, 1),
) -> list[Person]:
    """Rows of a school file: ``students`` students, their guardians and the staff."""
    rng = random.Random(seed)
    school = _School(rng, today)
    staff_count = staff if staff is not None else max(5, students // 15)
    rows: list[Person] = []
    parents_on_staff: list[Person] = []
    made = 0
    while made < students:
        male, female = rng.choice(SURNAMES)
        father, son_of, daughter_of = rng.choice(MEN)
        home = school.address()
        children: list[Person] = []
        for _ in range(min(rng.choices((1, 2, 3), (60, 30, 10))[0], students - made)):
            if rng.random() < 0.5:
                child = school.person("student", male, rng.choice(MEN)[0], son_of)
            else:
                child = school.person("student", female, rng.choice(WOMEN), daughter_of)
            child["birth_date"] = school.born(6, 17)
            child["address"] = home
            children.append(child)
            made += 1
        logins = [str(child["login"]) for child in children]
        listed = (", " if rng.random() < 0.3 else ";").join(logins)
        guardians: list[Person] = []
        mother_last = female if rng.random() < 0.85 else rng.choice(SURNAMES)[1]
        mother_patronymic = rng.choice(MEN)[2]
        if len(parents_on_staff) < staff_count // 10 and rng.random() < 0.05:
            # A teacher of this school whose children study here: one row, with children.
            parents_on_staff.append(
                school.adult(
                    "staff",
                    mother_last,
                    rng.choice(WOMEN),
                    mother_patronymic,
                    children=listed,
                )
            )
        elif rng.random() < 0.92:
            guardians.append(
                school.adult(
                    "guardian",
                    mother_last,
                    rng.choice(WOMEN),
                    mother_patronymic,
                    address=home,
                    children=listed,
                )
            )
        if rng.random() < 0.6 or not (guardians or parents_on_staff):
            guardians.append(
                school.adult(
                    "guardian",
                    male,
                    father,
                    rng.choice(MEN)[1],
                    address=home,
                    children=listed,
                )
            )
        if rng.random() < 0.05:
            guardians.append(
                school.adult(
                    "guardian",
                    rng.choice(SURNAMES)[1],
                    rng.choice(WOMEN),
                    rng.choice(MEN)[2],
                    children=listed,
                )
            )
        rows += guardians + children if rng.random() < 0.3 else children + guardians
    return _staff(school, staff_count, parents_on_staff) + rows


def _staff(school: _School, count: int, parents: list[Person]) -> list[Person]:
    rng = school.rng
    posts = [("director", "директор"), ("administrator", "системный администратор")]
    posts += [("deputy", "заместитель директора по УВР")] * max(1, count // 40)
    while len(posts) < count:
        posts.append(("teacher", f"учитель {rng.choice(SUBJECTS)}"))
    people = list(parents)
    while len(people) < count:
        if rng.random() < 0.75:
            last, first = rng.choice(SURNAMES)[1], rng.choice(WOMEN)
            patronymic = rng.choice(MEN)[2]
        else:
            last, first, patronymic = rng.choice(SURNAMES)[0], rng.choice(MEN)[0], ""
            patronymic = rng.choice(MEN)[1]
        people.append(school.adult("staff", last, first, patronymic))
    rng.shuffle(posts)
    for person, (role, position) in zip(people, posts[:count], strict=False):
        person["role"], person["position"] = role, position
        person["birth_date"] = school.born(23, 64)
        person["employment_start"] = school.today - timedelta(days=rng.randint(0, 30 * 365))
    return people[:count]


def _value(value: Value, language: Language, *, iso_dates: bool = False) -> str:
    if isinstance(value, date):
        return value.isoformat() if iso_dates else value.strftime("%d.%m.%Y")
    return VALUES[language].get(value, value)


def people_csv(
    rows: list[Person],
    *,
    language: Language = "ru",
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    iso_dates: bool = False,
) -> bytes:
    """The rows as a CSV file: Excel's «CSV (разделители — точки с запятой)» by default."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([HEADERS[language][name] for name in FIELDS])
    for row in rows:
        writer.writerow([_value(row[name], language, iso_dates=iso_dates) for name in FIELDS])
    return out.getvalue().encode(encoding)


def people_xlsx(rows: list[Person], *, language: Language = "ru") -> bytes:
    """The rows as an XLSX workbook laid out as Excel writes one: shared strings, a
    dimension, dates as date cells (serial numbers in the short-date format)."""
    strings: dict[str, int] = {}
    lines: list[list[str | int]] = [[HEADERS[language][name] for name in FIELDS]]
    lines += [[_xlsx_value(row[name], language) for name in FIELDS] for row in rows]
    sheet_rows = []
    for r, values in enumerate(lines, start=1):
        cells = []
        for c, value in enumerate(values):
            ref = f"{chr(ord('A') + c)}{r}"
            if isinstance(value, int):
                cells.append(f'<c r="{ref}" s="1"><v>{value}</v></c>')
            elif value:
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    last = f"{chr(ord('A') + len(FIELDS) - 1)}{len(lines)}"
    sheet = (
        f'{_XML}<worksheet xmlns="{_MAIN}"><dimension ref="A1:{last}"/>'
        f"<sheetData>{''.join(sheet_rows)}</sheetData></worksheet>"
    )
    shared = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings)
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/styles.xml": _STYLES,
        "xl/sharedStrings.xml": (
            f'{_XML}<sst xmlns="{_MAIN}" uniqueCount="{len(strings)}">{shared}</sst>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text.encode())
    return out.getvalue()


def _xlsx_value(value: Value, language: Language) -> str | int:
    if isinstance(value, date):
        return (value - _EXCEL_EPOCH).days
    return _value(value, language)


_EXCEL_EPOCH = date(1899, 12, 30)
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
    '<sheet name="Люди" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId3" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
# Style 1 is the built-in short date (format 14), shown as ДД.ММ.ГГГГ by a Russian Excel.
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="2">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def main() -> None:
    """Print the parse time of a generated school, CSV and XLSX (best of five)."""
    from zhurnal_identity.domain.imports import parse_people_file

    students = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rows = school_people(students)
    files: dict[str, tuple[Literal["csv", "xlsx"], bytes]] = {
        "csv utf-8": ("csv", people_csv(rows)),
        "csv cp1251": ("csv", people_csv(rows, encoding="cp1251")),
        "xlsx": ("xlsx", people_xlsx(rows)),
    }
    for name, (fmt, content) in files.items():
        wall = cpu = float("inf")
        for _ in range(5):
            started, started_cpu = time.perf_counter(), time.process_time()
            plan = parse_people_file(content, fmt, today=date(2025, 9, 1))
            wall = min(wall, time.perf_counter() - started)
            cpu = min(cpu, time.process_time() - started_cpu)
        print(
            f"{name:11} {students} students, {plan.lines} lines, {len(content) // 1024} KiB, "
            f"{len(plan.problems)} problems: {wall * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU)"
        )


if __name__ == "__main__":
    main()
