"""Pages of the institution's administrator (and what its director may see of them).

People of the institution and one person's card, personal data read only with a purpose
(identity logs it), hiring and dismissal (R-4.2, R-4.3), temporary access with its written
basis and the access review (R-4.1, R-4.4), the import of people with its dry run, and the
personal-data access log (152-FZ).

Every page asks identity with the person's own token and identity decides (docs/
authorization.md): the menu only spares people links they could not follow. A form that has
no data to read first (hiring, import) asks identity's ``Authorize`` before it is shown, so a
teacher gets the refusal page, not a form that would fail on sending.

One-time passwords (hiring, import) are shown in the answer to the form's POST itself rather
than after a redirect: identity keeps no copy of them, so they can be shown only once. A
reload re-sends the same idempotency key, and identity answers it with the person already
made and no password: nobody is hired twice.

The import takes an uploaded file (CSV or XLSX) or CSV text pasted into a textarea. The
gateway's CSRF check (sessions.csrf_token_of) reads the csrf_token field of url-encoded bodies
only, so /static/admin.js reads the chosen file in the browser and sends it base64-encoded in
the ordinary url-encoded form (file_name, file_size, file_base64); without the script the file
field stays hidden. A multipart upload (field ``file``) is read as well, for the day the CSRF
check reads multipart bodies. The checked bytes go back base64-encoded in the "Apply" form, so
exactly what was checked is imported, without uploading the file again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from zhurnal.identity.v1 import access_pb2, identity_pb2, people_pb2
from zhurnal_gateway.api.convert import moment
from zhurnal_gateway.api.deps import GatewayDep
from zhurnal_gateway.api.people import _KIND, Person, _person
from zhurnal_gateway.api.problems import http_status_for
from zhurnal_gateway.bootstrap import Gateway
from zhurnal_gateway.web.render import MenuItem, menu_item, page
from zhurnal_gateway.web.viewer import ROLE_NAMES, Viewer, ViewerDep
from zhurnal_kit import spreadsheet
from zhurnal_kit.errors import PermissionDenied
from zhurnal_kit.grpc_errors import field_violations

router = APIRouter(include_in_schema=False)
MENU: list[MenuItem] = [
    menu_item("/people", "People", "administrator", "director"),
    menu_item("/people/import", "Import", "administrator"),
    menu_item("/access", "Access review", "administrator", "director"),
    menu_item("/pd-log", "Personal data log", "administrator", "director"),
]

PAGE_SIZE = 50
# The staff a grant may name, offered in the grant form (larger schools type in an id).
STAFF_CHOICES = 500
# The largest file (or pasted text) the import takes; its error message names 2 MB.
MAX_IMPORT_BYTES = 2 * 1024 * 1024
# The largest form field read: the file base64-encoded (4/3) with '+', '/' and '=' escaped, or
# pasted Cyrillic text escaped (3 bytes a byte), both under the 2 MB above.
MAX_FORM_FIELD = 8 * 1024 * 1024
# A workbook's parts may unpack to at most this (as identity reads it: a zip bomb is small).
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
MAX_FILE_NAME = 255
FILE_TOO_LARGE = (
    "File (CSV or XLSX): larger than 2 MB. Split it into several files and import them one by one."
)
TEXT_TOO_LARGE = (
    "The file's text (CSV): larger than 2 MB. Split it into several parts and import them one by "
    "one."
)
FILE_BROKEN = "File (CSV or XLSX): it did not arrive whole. Choose it again."
FILE_EMPTY = "File (CSV or XLSX): the file is empty."
NOTHING_TO_IMPORT = "Choose a file or paste the file's text."
DEFAULT_TIME_ZONE = "Europe/Moscow"

ROLE_OF = {name: role for role, name in ROLE_NAMES.items()}
HIRE_ROLES = ("teacher", "deputy", "director", "administrator")
GRANT_ROLES = ("teacher", "deputy", "director", "administrator", "inspector")
# What an inspector's binding may name (identity's INSPECTABLE: the read actions).
INSPECTOR_SCOPE = (
    "journal.read",
    "diary.read",
    "report.read",
    "curriculum.read",
    "person.read",
    "institution.read",
    "aggregate.read",
)
KINDS = ("staff", "student", "guardian")

# What a person reads for the services' values (English message ids, translated in web-admin.po).
ROLE_LABELS = {
    "administrator": "Administrator",
    "director": "Director",
    "deputy": "Deputy director",
    "teacher": "Teacher",
    "student": "Student",
    "guardian": "Guardian",
    "inspector": "Inspector",
    "district-administrator": "District administrator",
    "district-analyst": "District analyst",
}
KIND_LABELS = {"staff": "Staff", "student": "Students", "guardian": "Guardians"}
KIND_LABEL = {"staff": "staff member", "student": "student", "guardian": "guardian"}
STATUS_LABELS = {
    "active": "active",
    "disabled": "disabled",
    "pending": "being created",
    "deleted": "deleted in Keycloak",
}
FIELD_LABELS = {
    "birth_date": "Birth date",
    "email": "E-mail",
    "phone": "Phone",
    "address": "Address",
}
SCOPE_LABELS = {
    "journal.read": "the class journal",
    "diary.read": "students' diaries",
    "report.read": "reports",
    "curriculum.read": "the curriculum",
    "person.read": "people",
    "institution.read": "the institution's card",
    "aggregate.read": "summaries",
}

# Service field paths -> the names of this module's form fields.
HIRE_FIELDS = {
    "personal_data.email": "email",
    "personal_data.phone": "phone",
    "personal_data.birth_date": "birth_date",
    "basis.number": "basis_number",
    "basis.date": "basis_date",
    "basis": "basis_number",
}
GRANT_FIELDS = {
    "basis": "basis_number",
    "basis.number": "basis_number",
    "basis.date": "basis_date",
}
DISMISS_FIELDS = {
    "basis": "basis_number",
    "basis.number": "basis_number",
    "basis.date": "basis_date",
}


# --- small pure helpers (unit-tested) -------------------------------------------------------


@dataclass
class FormErrors:
    """Messages (English ids) for a form: by field, and those naming no field of the form."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        """Attach ``message`` to field ``name`` ("" for the whole form)."""
        if name:
            self.fields.setdefault(name, []).append(message)
        else:
            self.general.append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def map_violations(
    violations: Iterable[tuple[str, str]], names: Mapping[str, str], known: Iterable[str]
) -> FormErrors:
    """The service's (field, description) pairs put next to this form's fields.

    ``names`` renames service fields to form fields; a field the form does not have is
    reported for the whole form.
    """
    known_names = set(known)
    errors = FormErrors()
    for service_field, description in violations:
        name = names.get(service_field, service_field)
        errors.add(name if name in known_names else "", description)
    return errors


def form_fields(data: FormData) -> dict[str, list[str]]:
    """A posted form's text fields (url-encoded or multipart), empty ones kept; files left out."""
    return {name: [v for v in data.getlist(name) if isinstance(v, str)] for name in data}


def first(form: Mapping[str, list[str]], name: str) -> str:
    """The first value of ``name`` in a parsed form, stripped ("" when absent)."""
    values = form.get(name) or [""]
    return values[0].strip()


def parse_day(text: str) -> date | None:
    """A date typed as ISO (the date input's value) or as DD.MM.YYYY; None when unreadable."""
    text = text.strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d.%m.%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def parse_local_moment(text: str, zone: ZoneInfo) -> datetime | None:
    """A datetime-local input's value (or a bare date, meaning its midnight) in ``zone``."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        day = parse_day(text)
        if day is None:
            return None
        value = datetime(day.year, day.month, day.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def time_zone(name: str) -> ZoneInfo:
    """The institution's time zone (Moscow when it names none we know)."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def show_moment(value: datetime | None, zone: ZoneInfo) -> str:
    """A moment as people of the institution read it: DD.MM.YYYY HH:MM in its zone."""
    return value.astimezone(zone).strftime("%d.%m.%Y %H:%M") if value else ""


def show_day(value: date | str | None) -> str:
    """A day as DD.MM.YYYY (ISO text is accepted too)."""
    if isinstance(value, str):
        value = parse_day(value) if value else None
    return value.strftime("%d.%m.%Y") if value else ""


def pb_date(value: date | None) -> people_pb2.Date | None:
    """identity's Date (None stays unset)."""
    return people_pb2.Date(year=value.year, month=value.month, day=value.day) if value else None


@dataclass(frozen=True)
class ImportFile:
    """What the import checks or imports: an uploaded file (``name`` set) or pasted CSV text."""

    content: bytes
    format: people_pb2.ImportFormat.ValueType
    name: str = ""
    text: str = ""

    @property
    def fmt(self) -> Literal["csv", "xlsx"]:
        """The format as zhurnal_kit.spreadsheet names it."""
        return "xlsx" if self.format == people_pb2.IMPORT_FORMAT_XLSX else "csv"

    @property
    def base64(self) -> str:
        """The uploaded bytes as the "Apply" form carries them back ("" for pasted text)."""
        return base64.b64encode(self.content).decode("ascii") if self.name else ""


def import_format(name: str, content: bytes) -> people_pb2.ImportFormat.ValueType:
    """XLSX for a workbook (by its name or by its bytes: a zip), else CSV."""
    if name.lower().endswith(".xlsx") or content.startswith(b"PK\x03\x04"):
        return people_pb2.IMPORT_FORMAT_XLSX
    return people_pb2.IMPORT_FORMAT_CSV


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def import_file(form: FormData) -> tuple[ImportFile | None, FormErrors]:
    """The file of an import form, or the errors to show next to its fields.

    In order: a multipart upload (field ``file``); a file read by /static/admin.js or carried
    back by the "Apply" form (``file_name``, ``file_size``, ``file_base64``); pasted text
    (``content``). At most MAX_IMPORT_BYTES are taken.
    """
    errors = FormErrors()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        name = upload.filename
        content = await upload.read(MAX_IMPORT_BYTES + 1)
    elif _text(form, "file_name").strip():
        name = _text(form, "file_name").strip()
        size = _text(form, "file_size").strip()
        if size.isdigit() and int(size) > MAX_IMPORT_BYTES:
            errors.add("file", FILE_TOO_LARGE)
            return None, errors
        try:
            content = base64.b64decode(_text(form, "file_base64"), validate=True)
        except (binascii.Error, ValueError):
            errors.add("file", FILE_BROKEN)
            return None, errors
        if not content and size.isdigit() and int(size) > 0:
            errors.add("file", FILE_BROKEN)
            return None, errors
    else:
        text = _text(form, "content")
        content = text.encode("utf-8")
        if not text.strip():
            errors.add("content", NOTHING_TO_IMPORT)
        elif len(content) > MAX_IMPORT_BYTES:
            errors.add("content", TEXT_TOO_LARGE)
        if errors:
            return None, errors
        return ImportFile(content, people_pb2.IMPORT_FORMAT_CSV, text=text), errors
    if len(content) > MAX_IMPORT_BYTES:
        errors.add("file", FILE_TOO_LARGE)
    elif not content.strip():
        errors.add("file", FILE_EMPTY)
    if errors:
        return None, errors
    name = name.replace("\\", "/").rsplit("/", 1)[-1][:MAX_FILE_NAME]
    return ImportFile(content, import_format(name, content), name=name), errors


def preview_rows(
    content: bytes, fmt: Literal["csv", "xlsx"] = "csv"
) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """The file's header and the rows after it, numbered as a spreadsheet numbers them
    (the way identity reports problems); or nothing and why the file cannot be read.

    The header is the fullest of the first few non-empty rows (a title may stand above it).
    """
    try:
        rows = [
            (line, [spreadsheet.cell_text(cell) for cell in cells])
            for line, cells in spreadsheet.read_rows(content, fmt, max_unpacked=MAX_XLSX_UNPACKED)
        ]
    except spreadsheet.UnreadableError as error:
        return [], [], error.reason
    filled = [(i, sum(1 for c in cells if c.strip())) for i, (_, cells) in enumerate(rows)]
    head = [item for item in filled if item[1]][: spreadsheet.HEADER_SEARCH_ROWS]
    if not head:
        return [], [], ""
    at = max(head, key=lambda item: (item[1], -item[0]))[0]
    body = [(line, cells) for line, cells in rows[at + 1 :] if any(c.strip() for c in cells)]
    return rows[at][1], body, ""


def page_link(path: str, **query: str) -> str:
    """``path`` with the non-empty ``query`` values."""
    values = {k: v for k, v in query.items() if v}
    return f"{path}?{urlencode(values)}" if values else path


# --- what the pages show --------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """A role binding as the pages show it."""

    id: str
    person_id: str
    person_name: str
    role: str
    valid_from: str
    valid_until: str
    temporary: bool
    basis_number: str
    basis_date: str
    scope: list[str]


def _binding(item: access_pb2.RoleBinding, zone: ZoneInfo) -> Binding:
    until = moment(item, "valid_until")
    return Binding(
        id=item.id,
        person_id=item.person_id,
        person_name=item.person_name,
        role=ROLE_NAMES.get(item.role, ""),
        valid_from=show_moment(moment(item, "valid_from"), zone),
        valid_until=show_moment(until, zone),
        temporary=until is not None,
        basis_number=item.basis.number,
        basis_date=show_day(item.basis.date),
        scope=list(item.scope),
    )


def _context(**values: Any) -> dict[str, Any]:
    """What every admin template may use, with the page's own values."""
    return {
        "role_labels": ROLE_LABELS,
        "kind_labels": KIND_LABELS,
        "kind_label": KIND_LABEL,
        "status_labels": STATUS_LABELS,
        "field_labels": FIELD_LABELS,
        "scope_labels": SCOPE_LABELS,
        "errors": FormErrors(),
        "values": {},
        **values,
    }


def _show(
    request: Request, viewer: Viewer, template: str, status_code: int = 200, **values: Any
) -> Response:
    """Render one of this module's templates for ``viewer``."""
    return page(request, template, _context(**values), viewer=viewer, status_code=status_code)


async def _institution(gateway: Gateway, institution_id: str) -> identity_pb2.Institution:
    reply = await gateway.identity.GetInstitution(
        identity_pb2.GetInstitutionRequest(id=institution_id)
    )
    return reply.institution


async def _zone(gateway: Gateway, institution_id: str) -> ZoneInfo:
    if not institution_id:
        return time_zone("")
    return time_zone((await _institution(gateway, institution_id)).time_zone)


async def _require(gateway: Gateway, action: str, institution_id: str) -> None:
    """Identity's decision on ``action`` in the institution; the refusal page when denied."""
    reply = await gateway.access.Authorize(
        access_pb2.AuthorizeRequest(
            action=action, resource=access_pb2.Resource(institution_id=institution_id)
        )
    )
    if not reply.allowed:
        raise PermissionDenied(f"{action} is not allowed: {reply.reason}")


async def _bindings(gateway: Gateway, institution_id: str) -> list[access_pb2.RoleBinding]:
    """The institution's bindings in force; none when the caller may not review them."""
    try:
        reply = await gateway.access.ReviewAccess(
            access_pb2.ReviewAccessRequest(institution_id=institution_id)
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.PERMISSION_DENIED:
            raise
        return []
    return list(reply.bindings)


def _home(viewer: Viewer) -> str:
    """The institution the pages are about: where the person administers or directs, else
    their first one (then identity refuses what their role may not do)."""
    return viewer.institution("administrator", "director") or viewer.institution()


async def _form_data(request: Request) -> FormData:
    """The posted form; a field beyond MAX_FORM_FIELD is a 400 (Starlette's HTTPException)."""
    return await request.form(max_part_size=MAX_FORM_FIELD)


async def _form(request: Request) -> dict[str, list[str]]:
    return form_fields(await _form_data(request))


def _violations(exc: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    """The field violations of a refused call, or the call's error raised again (its page)."""
    violations = field_violations(exc)
    if not violations:
        raise exc
    return [(v.field, v.description) for v in violations]


# --- people ---------------------------------------------------------------------------------


@router.get("/people")
async def people_list(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    kind: str = "staff",
    page_token: str = "",
) -> Response:
    """The institution's staff, students or guardians with their roles in force."""
    kind = kind if kind in KINDS else "staff"
    page_token = page_token[:500]
    institution_id = _home(viewer)
    listed, bindings = await asyncio.gather(
        gateway.people.ListPeople(
            people_pb2.ListPeopleRequest(
                institution_id=institution_id,
                kind=_KIND[kind],
                page_size=PAGE_SIZE,
                page_token=page_token,
            )
        ),
        _bindings(gateway, institution_id),
    )
    roles: dict[str, list[str]] = {}
    for binding in bindings:
        roles.setdefault(binding.person_id, []).append(ROLE_NAMES.get(binding.role, ""))
    people = [_person(p) for p in listed.people]
    return page(
        request,
        "admin_people.html",
        _context(
            kind=kind,
            kinds=KINDS,
            people=people,
            roles=roles,
            next_link=page_link("/people", kind=kind, page_token=listed.next_page_token)
            if listed.next_page_token
            else "",
            first_link=page_link("/people", kind=kind) if page_token else "",
            may_manage=viewer.has("administrator"),
            dismissed=request.query_params.get("dismissed") == "1",
        ),
        viewer=viewer,
    )


HIRE_INPUTS = (
    "last_name",
    "first_name",
    "patronymic",
    "login",
    "role",
    "position",
    "employment_start",
    "email",
    "phone",
    "birth_date",
    "basis_number",
    "basis_date",
    "idempotency_key",
)


@router.get("/people/hire")
async def hire_form(request: Request, viewer: ViewerDep, gateway: GatewayDep) -> Response:
    """The hiring form (R-4.2), for those identity lets hire in the institution."""
    await _require(gateway, "person.manage", _home(viewer))
    values = {
        "role": "teacher",
        "employment_start": date.today().isoformat(),
        "idempotency_key": str(uuid.uuid4()),
    }
    return _show(request, viewer, "admin_hire.html", roles=HIRE_ROLES, values=values)


@router.post("/people/hire")
async def hire(request: Request, viewer: ViewerDep, gateway: GatewayDep) -> Response:
    """Hire: the person, their account with a one-time password, and the role binding."""
    form = await _form(request)
    values = {name: first(form, name) for name in HIRE_INPUTS}
    values["idempotency_key"] = values["idempotency_key"] or str(uuid.uuid4())
    errors = FormErrors()
    days: dict[str, date | None] = {}
    for name in ("employment_start", "birth_date", "basis_date"):
        days[name] = parse_day(values[name]) if values[name] else None
        if values[name] and days[name] is None:
            errors.add(name, "is not a valid date")
    if values["role"] not in HIRE_ROLES:
        errors.add("role", "is required")
    if errors:
        return _show(
            request, viewer, "admin_hire.html", 422, roles=HIRE_ROLES, values=values, errors=errors
        )
    try:
        reply = await gateway.people.HireStaff(
            people_pb2.HireStaffRequest(
                institution_id=_home(viewer),
                last_name=values["last_name"],
                first_name=values["first_name"],
                patronymic=values["patronymic"],
                position=values["position"],
                employment_start=pb_date(days["employment_start"]),
                login=values["login"],
                role=ROLE_OF[values["role"]],
                personal_data=people_pb2.PersonalData(
                    birth_date=pb_date(days["birth_date"]),
                    email=values["email"],
                    phone=values["phone"],
                ),
                basis=access_pb2.Basis(
                    number=values["basis_number"],
                    date=days["basis_date"].isoformat() if days["basis_date"] else "",
                ),
                idempotency_key=values["idempotency_key"],
            )
        )
    except grpc.aio.AioRpcError as exc:
        errors = map_violations(_violations(exc), HIRE_FIELDS, HIRE_INPUTS)
        status = http_status_for(exc.code(), [])
        return _show(
            request,
            viewer,
            "admin_hire.html",
            status,
            roles=HIRE_ROLES,
            values=values,
            errors=errors,
        )
    return _show(
        request,
        viewer,
        "admin_hired.html",
        person=_person(reply.person),
        role=ROLE_NAMES.get(reply.binding.role, ""),
        password=reply.temporary_password,
    )


# --- import ---------------------------------------------------------------------------------


def _import_page(
    request: Request, viewer: Viewer, status_code: int = 200, **values: Any
) -> Response:
    defaults: dict[str, Any] = {
        "content": "",
        "file_name": "",
        "file_base64": "",
        "max_bytes": MAX_IMPORT_BYTES,
        "checked": None,
        "header": [],
        "rows": [],
        "unreadable": "",
        "problems_by_line": {},
        "imported": None,
        "idempotency_key": str(uuid.uuid4()),
    }
    return _show(request, viewer, "admin_import.html", status_code, **{**defaults, **values})


@router.get("/people/import")
async def import_form(request: Request, viewer: ViewerDep, gateway: GatewayDep) -> Response:
    """Choose the file (CSV or XLSX) or paste its CSV text; the check (a dry run) comes first."""
    await _require(gateway, "person.manage", _home(viewer))
    return _import_page(request, viewer)


@router.post("/people/import")
async def import_people(request: Request, viewer: ViewerDep, gateway: GatewayDep) -> Response:
    """Check the file (dry run: every bad line and field) or, after a clean check, import it."""
    try:
        form = await _form_data(request)
    except HTTPException:
        errors = FormErrors()
        errors.add("file", FILE_TOO_LARGE)
        return _import_page(request, viewer, 422, errors=errors)
    apply = _text(form, "action").strip() == "apply"
    key = _text(form, "idempotency_key").strip() or str(uuid.uuid4())
    file, errors = await import_file(form)
    if file is None:
        return _import_page(request, viewer, 422, content=_text(form, "content"), errors=errors)
    reply = await gateway.people.ImportPeople(
        people_pb2.ImportPeopleRequest(
            institution_id=_home(viewer),
            format=file.format,
            content=file.content,
            dry_run=not apply,
            idempotency_key=key if apply else "",
        )
    )
    problems_by_line: dict[int, list[people_pb2.ImportProblem]] = {}
    for problem in reply.problems:
        problems_by_line.setdefault(problem.line, []).append(problem)
    header, rows, unreadable = preview_rows(file.content, file.fmt)
    imported = None
    if apply and not reply.problems:
        imported = list(reply.accounts)
    return _import_page(
        request,
        viewer,
        422 if reply.problems else 200,
        content=file.text,
        file_name=file.name,
        file_base64=file.base64,
        checked=reply,
        header=header,
        rows=rows,
        unreadable=unreadable,
        problems_by_line=problems_by_line,
        imported=imported,
        idempotency_key=key,
        applied=apply,
    )


# --- one person ------------------------------------------------------------------------------


async def _person_page(
    request: Request,
    viewer: Viewer,
    gateway: GatewayDep,
    person_id: str,
    *,
    shown: Person | None = None,
    purpose: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    institution_id = _home(viewer)
    bindings, zone = await asyncio.gather(
        _bindings(gateway, institution_id), _zone(gateway, institution_id)
    )
    if shown is None:
        found = await gateway.people.GetPerson(people_pb2.GetPersonRequest(id=person_id))
        shown = _person(found.person)
    return page(
        request,
        "admin_person.html",
        _context(
            person=shown,
            bindings=[_binding(b, zone) for b in bindings if b.person_id == person_id],
            purpose=purpose,
            errors=errors or FormErrors(),
            may_manage=viewer.has("administrator"),
        ),
        viewer=viewer,
        status_code=status_code,
    )


@router.get("/people/{person_id}")
async def person_card(
    request: Request, person_id: str, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """One person: name, kinds, account, employment and roles in force; no personal data."""
    return await _person_page(request, viewer, gateway, person_id)


@router.post("/people/{person_id}/personal-data")
async def personal_data(
    request: Request, person_id: str, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """The person's personal data, read with the purpose typed in (identity logs the read).

    Shown in this answer only: the data never goes into an address or a later page.
    """
    purpose = first(await _form(request), "purpose")
    try:
        reply = await gateway.people.GetPerson(
            people_pb2.GetPersonRequest(id=person_id, with_personal_data=True, purpose=purpose)
        )
    except grpc.aio.AioRpcError as exc:
        errors = map_violations(_violations(exc), {}, ("purpose",))
        return await _person_page(
            request,
            viewer,
            gateway,
            person_id,
            purpose=purpose,
            errors=errors,
            status_code=http_status_for(exc.code(), []),
        )
    return await _person_page(
        request, viewer, gateway, person_id, shown=_person(reply.person), purpose=purpose
    )


DISMISS_INPUTS = ("employment_end", "basis_number", "basis_date")


@router.get("/people/{person_id}/dismiss")
async def dismiss_form(
    request: Request, person_id: str, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """Confirm a dismissal (R-4.3): the order it follows and the last day of work."""
    found, _ = await asyncio.gather(
        gateway.people.GetPerson(people_pb2.GetPersonRequest(id=person_id)),
        _require(gateway, "person.manage", _home(viewer)),
    )
    values = {"employment_end": date.today().isoformat()}
    return _show(request, viewer, "admin_dismiss.html", person=_person(found.person), values=values)


@router.post("/people/{person_id}/dismiss")
async def dismiss(
    request: Request, person_id: str, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """Dismiss: the account is disabled and every role ends at once."""
    form = await _form(request)
    values = {name: first(form, name) for name in DISMISS_INPUTS}
    errors = FormErrors()
    end = parse_day(values["employment_end"]) if values["employment_end"] else None
    basis_day = parse_day(values["basis_date"]) if values["basis_date"] else None
    if values["employment_end"] and end is None:
        errors.add("employment_end", "is not a valid date")
    if not values["basis_number"]:
        errors.add("basis_number", "is required")
    if basis_day is None:
        errors.add(
            "basis_date", "is required" if not values["basis_date"] else "is not a valid date"
        )
    if not errors:
        try:
            await gateway.people.DismissStaff(
                people_pb2.DismissStaffRequest(
                    person_id=person_id,
                    employment_end=pb_date(end),
                    basis=access_pb2.Basis(
                        number=values["basis_number"],
                        date=basis_day.isoformat() if basis_day else "",
                    ),
                )
            )
        except grpc.aio.AioRpcError as exc:
            errors = map_violations(_violations(exc), DISMISS_FIELDS, DISMISS_INPUTS)
        else:
            # A dismissed person has no role in the institution left, so identity no longer
            # shows their card here: back to the staff list.
            return RedirectResponse("/people?kind=staff&dismissed=1", status_code=303)
    found = await gateway.people.GetPerson(people_pb2.GetPersonRequest(id=person_id))
    return _show(
        request,
        viewer,
        "admin_dismiss.html",
        422,
        person=_person(found.person),
        values=values,
        errors=errors,
    )


# --- access ---------------------------------------------------------------------------------

GRANT_INPUTS = (
    "person_id",
    "role",
    "valid_from",
    "valid_until",
    "basis_number",
    "basis_date",
    "scope",
    "idempotency_key",
)


async def _access_page(
    request: Request,
    viewer: Viewer,
    gateway: GatewayDep,
    *,
    values: Mapping[str, Any] | None = None,
    errors: FormErrors | None = None,
    revoke_errors: Mapping[str, FormErrors] | None = None,
    status_code: int = 200,
) -> Response:
    institution_id = _home(viewer)
    may_manage = viewer.has("administrator")
    review, institution = await asyncio.gather(
        gateway.access.ReviewAccess(access_pb2.ReviewAccessRequest(institution_id=institution_id)),
        _institution(gateway, institution_id),
    )
    zone = time_zone(institution.time_zone)
    bindings = [_binding(b, zone) for b in review.bindings]
    temporary = sorted(
        (b for b in bindings if b.temporary), key=lambda b: _sort_moment(b.valid_until)
    )
    permanent = sorted((b for b in bindings if not b.temporary), key=lambda b: b.person_name)
    values = dict(values or {})
    candidates: list[tuple[str, str]] = []
    if may_manage:
        staff = await gateway.people.ListPeople(
            people_pb2.ListPeopleRequest(
                institution_id=institution_id,
                kind=people_pb2.PERSON_KIND_STAFF,
                page_size=STAFF_CHOICES,
            )
        )
        candidates = [(p.id, _display(p)) for p in staff.people]
        chosen = values.get("person_id") or request.query_params.get("person_id", "")
        if chosen and chosen not in {c[0] for c in candidates}:
            try:
                other = await gateway.people.GetPerson(people_pb2.GetPersonRequest(id=chosen))
                candidates.insert(0, (other.person.id, _display(other.person)))
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                    raise
        values.setdefault("person_id", chosen)
        values.setdefault("role", "teacher")
        values.setdefault("idempotency_key", str(uuid.uuid4()))
        values.setdefault("scope", [])
    return page(
        request,
        "admin_access.html",
        _context(
            institution=institution,
            temporary=temporary,
            permanent=permanent,
            may_manage=may_manage,
            candidates=candidates,
            grant_roles=GRANT_ROLES,
            inspector_scope=INSPECTOR_SCOPE,
            values=values,
            errors=errors or FormErrors(),
            revoke_errors=revoke_errors or {},
            granted=request.query_params.get("granted", ""),
            revoked=request.query_params.get("revoked") == "1",
            zone=str(zone),
        ),
        viewer=viewer,
        status_code=status_code,
    )


def _sort_moment(shown: str) -> str:
    """DD.MM.YYYY HH:MM sorted as time runs."""
    return f"{shown[6:10]}{shown[3:5]}{shown[0:2]}{shown[11:]}"


def _display(item: people_pb2.Person) -> str:
    return " ".join(part for part in (item.last_name, item.first_name, item.patronymic) if part)


@router.get("/access")
async def access_review(request: Request, viewer: ViewerDep, gateway: GatewayDep) -> Response:
    """Every role in force in the institution with its end and basis; grants and revocations."""
    return await _access_page(request, viewer, gateway)


@router.post("/access/grant")
async def grant_access(request: Request, viewer: ViewerDep, gateway: GatewayDep) -> Response:
    """Grant a role, temporary with its written basis (R-4.1, R-4.4)."""
    form = await _form(request)
    values: dict[str, Any] = {name: first(form, name) for name in GRANT_INPUTS}
    values["scope"] = [s for s in form.get("scope", []) if s in INSPECTOR_SCOPE]
    institution_id = _home(viewer)
    zone = await _zone(gateway, institution_id)
    errors = FormErrors()
    moments: dict[str, datetime | None] = {}
    for name in ("valid_from", "valid_until"):
        moments[name] = parse_local_moment(values[name], zone) if values[name] else None
        if values[name] and moments[name] is None:
            errors.add(name, "is not a valid date")
    basis_day = parse_day(values["basis_date"]) if values["basis_date"] else None
    if values["basis_date"] and basis_day is None:
        errors.add("basis_date", "is not a valid date")
    if values["role"] not in GRANT_ROLES:
        errors.add("role", "is required")
    if not values["person_id"]:
        errors.add("person_id", "is required")
    if not values["valid_until"]:
        errors.add("valid_until", "is required")
    if not errors:
        request_fields: dict[str, Any] = {}
        for name, value in moments.items():
            if value is not None:
                request_fields[name] = value
        try:
            reply = await gateway.access.GrantAccess(
                access_pb2.GrantAccessRequest(
                    person_id=values["person_id"],
                    institution_id=institution_id,
                    role=ROLE_OF[values["role"]],
                    basis=access_pb2.Basis(
                        number=values["basis_number"],
                        date=basis_day.isoformat() if basis_day else "",
                    ),
                    scope=values["scope"],
                    idempotency_key=values["idempotency_key"],
                    **request_fields,
                )
            )
        except grpc.aio.AioRpcError as exc:
            errors = map_violations(_violations(exc), GRANT_FIELDS, GRANT_INPUTS)
        else:
            return RedirectResponse(f"/access?granted={reply.binding.id}#granted", status_code=303)
    return await _access_page(
        request, viewer, gateway, values=values, errors=errors, status_code=422
    )


@router.post("/access/{binding_id}/revoke")
async def revoke_access(
    request: Request, binding_id: str, viewer: ViewerDep, gateway: GatewayDep
) -> Response:
    """End a role now, with the reason (the application or order)."""
    reason = first(await _form(request), "reason")
    try:
        await gateway.access.RevokeAccess(
            access_pb2.RevokeAccessRequest(binding_id=binding_id, reason=reason)
        )
    except grpc.aio.AioRpcError as exc:
        errors = map_violations(_violations(exc), {}, ("reason",))
        return await _access_page(
            request,
            viewer,
            gateway,
            revoke_errors={binding_id: errors},
            status_code=http_status_for(exc.code(), []),
        )
    return RedirectResponse("/access?revoked=1", status_code=303)


# --- the personal-data access log -----------------------------------------------------------


@router.get("/pd-log")
async def pd_log(
    request: Request,
    viewer: ViewerDep,
    gateway: GatewayDep,
    subject_id: str = "",
    page_token: str = "",
) -> Response:
    """Who read whose personal data, which fields, why and when; newest first."""
    subject_id, page_token = subject_id[:36], page_token[:500]
    institution_id = _home(viewer)
    reply, zone = await asyncio.gather(
        gateway.access.ListPersonalDataAccess(
            access_pb2.ListPersonalDataAccessRequest(
                institution_id=institution_id,
                subject_id=subject_id,
                page_size=PAGE_SIZE,
                page_token=page_token,
            )
        ),
        _zone(gateway, institution_id),
    )
    entries = [
        {
            "at": show_moment(moment(e, "at"), zone),
            "reader_id": e.reader_id,
            "reader_name": e.reader_name,
            "subject_id": e.subject_id,
            "subject_name": e.subject_name,
            "purpose": e.purpose,
            "fields": list(e.fields),
        }
        for e in reply.entries
    ]
    subjects = dict.fromkeys((e["subject_id"], e["subject_name"]) for e in entries)
    subject_name = ""
    if subject_id:
        subject_name = next((n for i, n in subjects if i == subject_id), "")
        if not subject_name:
            try:
                found = await gateway.people.GetPerson(people_pb2.GetPersonRequest(id=subject_id))
                subject_name = _display(found.person)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                    raise
    return page(
        request,
        "admin_pd_log.html",
        _context(
            entries=entries,
            subjects=list(subjects),
            subject_id=subject_id,
            subject_name=subject_name,
            next_link=page_link("/pd-log", subject_id=subject_id, page_token=reply.next_page_token)
            if reply.next_page_token
            else "",
            first_link=page_link("/pd-log", subject_id=subject_id) if page_token else "",
        ),
        viewer=viewer,
    )
