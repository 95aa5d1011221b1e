"""The administrator's pages without services: form helpers, the import preview, every template
rendered in Russian with every text translated."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.requests import Request

from zhurnal.identity.v1 import people_pb2
from zhurnal_gateway.api.people import Person, PersonalData
from zhurnal_gateway.i18n import catalogue, translations
from zhurnal_gateway.web import admin
from zhurnal_gateway.web.render import TEMPLATES, templates, translator
from zhurnal_kit import spreadsheet

MOSCOW = ZoneInfo("Europe/Moscow")


def test_violations_go_next_to_the_form_fields_and_the_rest_to_the_whole_form() -> None:
    errors = admin.map_violations(
        [
            ("personal_data.email", "must be an e-mail address"),
            ("login", "is already used by another person"),
            ("institution_id", "must name the institution"),
        ],
        admin.HIRE_FIELDS,
        admin.HIRE_INPUTS,
    )
    assert errors.fields == {
        "email": ["must be an e-mail address"],
        "login": ["is already used by another person"],
    }
    assert errors.general == ["must name the institution"]
    assert errors
    assert not admin.FormErrors()


async def _posted(body: bytes, content_type: str) -> FormData:
    """A body read as the pages read it (Starlette's form parser, python-multipart)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"content-type", content_type.encode())],
    }
    return await Request(scope, receive).form(max_part_size=admin.MAX_FORM_FIELD)


def _multipart(fields: dict[str, str], file: tuple[str, bytes]) -> tuple[bytes, str]:
    boundary = "zhurnal-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + file[1]
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


URLENCODED = "application/x-www-form-urlencoded"
# A zip's first bytes: enough for the form helpers, which leave reading the sheet to others.
NOT_A_WORKBOOK = b"PK\x03\x04 and no more"


async def test_forms_are_read_with_their_empty_fields() -> None:
    form = admin.form_fields(await _posted(b"a=1&b=&scope=x&scope=y&c=%D0%AF+%D1%8F", URLENCODED))
    assert admin.first(form, "b") == ""
    assert admin.first(form, "missing") == ""
    assert form["scope"] == ["x", "y"]
    assert admin.first(form, "c") == "Я я"


def test_days_and_moments_are_read_as_people_type_them() -> None:
    assert admin.parse_day("2026-11-28") == date(2026, 11, 28)
    assert admin.parse_day("28.11.2026") == date(2026, 11, 28)
    assert admin.parse_day("31.02.2026") is None
    assert admin.parse_local_moment("2026-12-05T18:30", MOSCOW) == datetime(
        2026, 12, 5, 15, 30, tzinfo=UTC
    )
    assert admin.parse_local_moment("2026-12-05", MOSCOW) == datetime(
        2026, 12, 4, 21, 0, tzinfo=UTC
    )
    assert admin.parse_local_moment("soon", MOSCOW) is None
    moment = datetime(2026, 12, 5, 15, 30, tzinfo=UTC)
    assert admin.show_moment(moment, MOSCOW) == "05.12.2026 18:30"
    assert admin._sort_moment("05.12.2026 18:30") < admin._sort_moment("01.01.2027 00:00")
    assert admin.show_day("2026-11-28") == "28.11.2026"
    assert admin.show_day("") == ""
    assert admin.time_zone("Nowhere/Land") == MOSCOW


def test_the_preview_numbers_rows_as_identity_does_and_finds_the_header_under_a_title() -> None:
    text = "Список сотрудников\nТип;Фамилия;Имя;Логин\n\nученик;Иванов;Пётр;ivanov\n"
    header, rows, unreadable = admin.preview_rows(text.encode())
    assert unreadable == ""
    assert header == ["Тип", "Фамилия", "Имя", "Логин"]
    assert rows == [(4, ["ученик", "Иванов", "Пётр", "ivanov"])]
    assert admin.preview_rows(b"\x00\x01") == ([], [], admin.preview_rows(b"\x00\x01")[2])
    assert admin.preview_rows(b"\x00\x01")[2]
    # A workbook's rows are read by zhurnal_kit.spreadsheet (the browser test reads one).
    assert admin.preview_rows(NOT_A_WORKBOOK, "xlsx") == ([], [], spreadsheet.NOT_XLSX)


async def test_the_import_takes_a_file_read_by_the_script_an_upload_or_pasted_text() -> None:
    workbook = NOT_A_WORKBOOK
    encoded = base64.b64encode(workbook).decode()
    body = urlencode(
        {"file_name": "C:\\Users\\a\\люди.xlsx", "file_size": "9", "file_base64": encoded}
    )
    file, errors = await admin.import_file(await _posted(body.encode(), URLENCODED))
    assert not errors and file is not None
    assert (file.name, file.content, file.fmt) == ("люди.xlsx", workbook, "xlsx")
    assert file.format == people_pb2.IMPORT_FORMAT_XLSX and file.base64 == encoded
    # A multipart upload (once the CSRF check reads multipart bodies), a CSV by its name.
    body, content_type = _multipart({"action": "check"}, ("people.csv", "Тип;Логин\n".encode()))
    file, errors = await admin.import_file(await _posted(body, content_type))
    assert not errors and file is not None
    assert (file.name, file.format) == ("people.csv", people_pb2.IMPORT_FORMAT_CSV)
    # A workbook is told by its bytes whatever its name; pasted text is CSV.
    assert admin.import_format("people.csv", workbook) == people_pb2.IMPORT_FORMAT_XLSX
    file, errors = await admin.import_file(await _posted(b"content=a%3Bb", URLENCODED))
    assert file is not None and (file.text, file.name, file.base64) == ("a;b", "", "")


async def test_a_too_large_empty_or_broken_file_is_named_in_its_field() -> None:
    big = str(admin.MAX_IMPORT_BYTES + 1)
    cases = [
        (urlencode({"file_name": "a.xlsx", "file_size": big}), "file", admin.FILE_TOO_LARGE),
        (
            urlencode({"file_name": "a.csv", "file_base64": base64.b64encode(b"x" * int(big))}),
            "file",
            admin.FILE_TOO_LARGE,
        ),
        (urlencode({"file_name": "a.csv", "file_base64": "%%%"}), "file", admin.FILE_BROKEN),
        (urlencode({"file_name": "a.csv", "file_size": "0"}), "file", admin.FILE_EMPTY),
        (urlencode({"content": "  "}), "content", admin.NOTHING_TO_IMPORT),
        (
            urlencode({"content": "я" * (admin.MAX_IMPORT_BYTES // 2 + 1)}),
            "content",
            admin.TEXT_TOO_LARGE,
        ),
    ]
    for body, name, message in cases:
        file, errors = await admin.import_file(await _posted(body.encode(), URLENCODED))
        assert file is None and errors.fields == {name: [message]}, (body[:40], errors)
    body, content_type = _multipart({}, ("big.csv", b"x" * int(big)))
    file, errors = await admin.import_file(await _posted(body, content_type))
    assert file is None and errors.fields == {"file": [admin.FILE_TOO_LARGE]}
    assert "Файл (CSV или XLSX): больше 2 МБ" in translations("ru").gettext(admin.FILE_TOO_LARGE)


def test_page_links_drop_empty_values() -> None:
    assert admin.page_link("/pd-log", subject_id="", page_token="") == "/pd-log"
    assert admin.page_link("/people", kind="staff", page_token="a b") == (
        "/people?kind=staff&page_token=a+b"
    )


def _render(name: str, **values: Any) -> str:
    gettext, ngettext = translator("ru")
    context = admin._context(
        lang="ru",
        gettext=gettext,
        ngettext=ngettext,
        viewer=None,
        menu=[],
        current_path="/people",
        csrf_token="token",
        district=False,
        **values,
    )
    return templates.env.get_template(name).render(context)


PERSON = Person(
    id="p1",
    last_name="Ёлкина",
    first_name="Анна",
    patronymic="Сергеевна",
    kinds=["staff"],
    login="elkina.as",
    account_status="active",
    position="учитель",
    employment_start=date(2020, 9, 1),
    employment_end=None,
)
BINDING = admin.Binding(
    id="b1",
    person_id="p1",
    person_name="Ёлкина Анна Сергеевна",
    role="deputy",
    valid_from="28.11.2026 10:00",
    valid_until="05.12.2026 18:00",
    temporary=True,
    basis_number="17",
    basis_date="28.11.2026",
    scope=[],
)


def test_every_page_renders_in_russian() -> None:
    errors = admin.map_violations(
        [("login", "is already used by another person"), ("x", "is unknown")],
        admin.HIRE_FIELDS,
        admin.HIRE_INPUTS,
    )
    people = _render(
        "admin_people.html",
        kind="staff",
        kinds=admin.KINDS,
        people=[PERSON],
        roles={"p1": ["teacher"]},
        next_link="/people?kind=staff&page_token=t",
        first_link="",
        may_manage=True,
    )
    assert "Учитель" in people and "Принять сотрудника" in people
    hire = _render("admin_hire.html", roles=admin.HIRE_ROLES, values={"login": "x"}, errors=errors)
    assert "уже занят другим человеком" in hire and 'aria-invalid="true"' in hire
    assert 'aria-describedby="login-error"' in hire
    hired = _render("admin_hired.html", person=PERSON, role="teacher", password="s3cret")
    assert "s3cret" in hired and "Учитель" in hired
    shown = PERSON.model_copy(
        update={
            "personal_data": PersonalData(birth_date=None, email="a@b.ru", phone="", address="")
        }
    )
    card = _render("admin_person.html", person=shown, bindings=[BINDING], purpose="сверка")
    assert "a@b.ru" in card and "сверка" in card and "до 05.12.2026 18:00" in card
    ask = _render("admin_person.html", person=PERSON, bindings=[], purpose="", may_manage=True)
    assert "Цель просмотра" in ask and "Уволить" in ask
    dismiss = _render("admin_dismiss.html", person=PERSON, values={})
    assert "Номер приказа" in dismiss
    access = _render(
        "admin_access.html",
        institution=SimpleNamespace(short_name="Школа", full_name="Школа"),
        temporary=[BINDING],
        permanent=[],
        may_manage=True,
        candidates=[("p1", "Ёлкина Анна Сергеевна")],
        grant_roles=admin.GRANT_ROLES,
        inspector_scope=admin.INSPECTOR_SCOPE,
        values={"scope": []},
        revoke_errors={"b1": admin.map_violations([("reason", "is required")], {}, ("reason",))},
        granted="b1",
        revoked=False,
        zone="Europe/Moscow",
    )
    assert "№ 17 от 28.11.2026" in access and "обязательн" in access
    checked = people_pb2.ImportPeopleResponse(
        lines=3, problems=[people_pb2.ImportProblem(line=3, column="Логин", reason="занят")]
    )
    preview = _render(
        "admin_import.html",
        content="a;b",
        checked=checked,
        header=["Тип", "Логин"],
        rows=[(2, ["ученик", "a"]), (3, ["ученик", "b"])],
        unreadable="",
        problems_by_line={3: list(checked.problems)},
        imported=None,
        idempotency_key="k",
    )
    assert "с ошибками — 1 строка" in preview and "будет создан" in preview
    clean_check: dict[str, Any] = {
        "header": [],
        "rows": [],
        "unreadable": "",
        "problems_by_line": {},
        "imported": None,
        "idempotency_key": "k",
    }
    clean = _render(
        "admin_import.html",
        content="a;b",
        checked=people_pb2.ImportPeopleResponse(lines=3),
        **clean_check,
    )
    assert "Применить: загрузить 3 строки" in clean
    uploaded = _render(
        "admin_import.html",
        content="",
        file_name="люди.xlsx",
        file_base64="UEs=",
        max_bytes=admin.MAX_IMPORT_BYTES,
        checked=people_pb2.ImportPeopleResponse(lines=2),
        errors=admin.map_violations([("file", admin.FILE_TOO_LARGE)], {}, ("file",)),
        **clean_check,
    )
    assert "Проверен файл «люди.xlsx»" in uploaded and 'value="UEs="' in uploaded
    assert 'name="content" value=' not in uploaded and 'accept=".csv,.xlsx"' in uploaded
    assert 'aria-describedby="file-error"' in uploaded and "больше 2 МБ" in uploaded
    log = _render(
        "admin_pd_log.html",
        entries=[
            {
                "at": "28.11.2026 10:00",
                "reader_id": "r",
                "reader_name": "Админ",
                "subject_id": "p1",
                "subject_name": "Ёлкина",
                "purpose": "сверка",
                "fields": ["email"],
            }
        ],
        subjects=[("p1", "Ёлкина")],
        subject_id="",
        subject_name="",
        next_link="",
        first_link="",
    )
    assert "Эл. почта" in log and "сверка" in log


def _message_ids() -> list[str | tuple[str, str]]:
    found: list[str | tuple[str, str]] = []
    for path in sorted(TEMPLATES.glob("admin_*.html")):
        for _, function, message in templates.env.extract_translations(path.read_text()):
            if function == "ngettext" and isinstance(message, tuple):
                found.append((str(message[0]), str(message[1])))
            elif isinstance(message, str):
                found.append(message)
    labels = (
        admin.ROLE_LABELS,
        admin.KIND_LABELS,
        admin.KIND_LABEL,
        admin.STATUS_LABELS,
        admin.FIELD_LABELS,
        admin.SCOPE_LABELS,
    )
    found += [text for table in labels for text in table.values()]
    found += [item.label for item in admin.MENU]
    found += [
        admin.FILE_TOO_LARGE,
        admin.TEXT_TOO_LARGE,
        admin.FILE_BROKEN,
        admin.FILE_EMPTY,
        admin.NOTHING_TO_IMPORT,
    ]
    return found


def test_every_text_of_the_pages_has_its_russian_translation() -> None:
    missing = []
    for message in _message_ids():
        if isinstance(message, tuple):
            forms = {translations("ru").ngettext(*message, n) for n in (1, 3, 5)}
            if forms & set(message):
                missing.append(message)
        elif message not in catalogue("ru"):
            missing.append(message)
    assert not missing, missing


def test_fixed_paths_under_people_come_before_a_person_s_id() -> None:
    paths = [getattr(route, "path", "") for route in admin.router.routes]
    for fixed in ("/people/hire", "/people/import"):
        assert paths.index(fixed) < paths.index("/people/{person_id}"), fixed
