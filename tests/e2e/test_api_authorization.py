"""Every REST route of the API, and every page of the web UI, as every role of one institution,
against that institution's resources and another's: nothing of the other institution is ever
returned or changed, nothing answers 5xx, and the API's answers at home are the ones each
role's work calls for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from e2e.journal_world import ClassJournal, class_journal
from e2e.test_login import Browser, base, csrf_token, login
from e2e.world import Member

from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

ROLES = ("deputy", "teacher", "colleague", "student", "guardian")


@dataclass
class Worlds:
    home: ClassJournal
    other: ClassJournal


@pytest.fixture(scope="module")
async def worlds(stack: Stack, district_admin: Person, keycloak: KeycloakAdmin) -> Worlds:
    return Worlds(
        await class_journal(stack, district_admin, keycloak),
        await class_journal(stack, district_admin, keycloak),
    )


def member(world: ClassJournal, role: str) -> Member:
    return {
        "deputy": world.deputy,
        "teacher": world.teacher,
        "colleague": world.colleague,
        "student": world.students[0],
        "guardian": world.guardian,
    }[role]


def reads(world: ClassJournal) -> dict[str, str]:
    """Every read route of the API, by name, on ``world``'s resources."""
    days = f"from={world.earlier.date.iso}&to={world.ahead.date.iso}"
    return {
        "lesson": f"/api/v1/lessons/{world.yesterday.id}",
        "grid": f"/api/v1/groups/{world.group.id}/grid?period_id={world.second.id}",
        "diary": f"/api/v1/students/{world.students[0].person_id}/diary?{days}",
        "overdue": f"/api/v1/institutions/{world.institution_id}/overdue-lessons",
        "people": f"/api/v1/institutions/{world.institution_id}/people",
        "person": f"/api/v1/people/{world.teacher.person_id}",
        "groups": f"/api/v1/study-years/{world.year.id}/groups",
        "roster": f"/api/v1/groups/{world.group.id}/roster",
        "institution": f"/api/v1/institutions/{world.institution_id}",
        "timeliness": f"/api/v1/timeliness?institution_id={world.institution_id}&{days}&by=teacher",
        "period_locks": f"/api/v1/institutions/{world.institution_id}/period-locks",
        "subjects": f"/api/v1/institutions/{world.institution_id}/subjects",
    }


def writes(world: ClassJournal) -> dict[str, tuple[str, dict[str, object]]]:
    """Every write route of the API other than a lesson's entries, on ``world``'s resources,
    with a body that would be accepted from the institution's own staff."""
    today = date.today().isoformat()
    basis = {"number": "1-к", "date": today}
    return {
        "hire": (
            f"/api/v1/institutions/{world.institution_id}/staff",
            {
                "last_name": "Чужой",
                "first_name": "Учитель",
                "position": "учитель",
                "employment_start": today,
                "login": f"intruder-{uuid.uuid4().hex[:8]}",
                "role": "teacher",
            },
        ),
        "dismiss": (
            f"/api/v1/people/{world.teacher.person_id}/dismissal",
            {"employment_end": today, "basis": basis},
        ),
        "group": (
            f"/api/v1/study-years/{world.year.id}/groups",
            {"name": "Чужая группа", "kind": "association"},
        ),
        "enrol": (
            f"/api/v1/groups/{world.group.id}/enrolments",
            {"student_id": world.students[0].person_id, "joined": today},
        ),
        "close": (f"/api/v1/study-years/{world.year.id}/periods/{world.first.id}/closing", {}),
        "reopen": (
            f"/api/v1/study-years/{world.year.id}/periods/{world.first.id}/reopening",
            {"reason": "Чужой"},
        ),
        "unlock": (f"/api/v1/periods/{world.first.id}/unlocks", {"reason": "Чужой"}),
    }


def secrets_of(world: ClassJournal) -> set[str]:
    """Ids whose appearance in an answer would leak ``world``'s data."""
    return {
        world.yesterday.id,
        world.earlier.id,
        world.group.id,
        world.teacher.person_id,
        world.colleague.person_id,
        world.deputy.person_id,
        world.maths.id,
        *(s.person_id for s in world.students),
    }


# What each role may read at home (docs/authorization.md; the rest is refused): the deputy
# everything; a teacher the journal of their own lessons (the institution's overdue list only
# filtered to themselves), the institution's people and groups; a colleague the people and
# groups but not another teacher's journal; a student and a guardian only the student's diary;
# everyone the institution's subjects (their names are not personal).
ALLOWED_AT_HOME = {
    "deputy": {
        "lesson",
        "grid",
        "diary",
        "overdue",
        "people",
        "person",
        "groups",
        "roster",
        "timeliness",
        "period_locks",
        "subjects",
    },
    "teacher": {"lesson", "grid", "diary", "people", "person", "groups", "roster", "subjects"},
    "colleague": {"people", "person", "groups", "roster", "subjects"},
    "student": {"diary", "subjects"},
    "guardian": {"diary", "subjects"},
}


async def test_no_role_reads_or_writes_anything_of_another_institution(
    stack: Stack, worlds: Worlds
) -> None:
    leaks, server_errors, home = [], [], {}
    foreign = secrets_of(worlds.other)
    for role in ROLES:
        person = member(worlds.home, role)
        async with httpx.AsyncClient(
            base_url=stack.gateway_url,
            headers={"Authorization": f"Bearer {person.token()}"},
            timeout=30.0,
        ) as http:
            for name, url in reads(worlds.other).items():
                response = await http.get(url)
                if response.status_code >= 500:
                    server_errors.append((role, "other", name, response.status_code))
                if response.status_code == 200 and foreign & set(_ids(response)):
                    leaks.append((role, name, response.text[:200]))
            write = await http.put(
                f"/api/v1/lessons/{worlds.other.ahead.id}/entries",
                json={"record": {"topic": "Чужой урок"}},
                headers={"If-Match": '"0"'},
            )
            assert write.status_code in (403, 404), (role, write.status_code, write.text)
            for name, (path, body) in writes(worlds.other).items():
                refused = await http.post(path, json=body)
                # 422 only where the other institution's id is no id of the caller's world.
                assert refused.status_code in (403, 404, 422), (role, name, refused.text)
                if foreign & set(_ids(refused)) - set(path.split("/")):
                    leaks.append((role, name, refused.text[:200]))
            for name, url in reads(worlds.home).items():
                response = await http.get(url)
                if response.status_code >= 500:
                    server_errors.append((role, "home", name, response.status_code))
                home[(role, name)] = response.status_code
    assert not server_errors, server_errors
    assert not leaks, leaks
    for role, allowed in ALLOWED_AT_HOME.items():
        for name in reads(worlds.home):
            if name in allowed:
                assert home[(role, name)] == 200, (role, name, home[(role, name)])
            elif name != "institution":
                assert home[(role, name)] in (403, 404), (role, name, home[(role, name)])
    # The other institution's lesson was not written.
    async with httpx.AsyncClient(
        base_url=stack.gateway_url,
        headers={"Authorization": f"Bearer {worlds.other.teacher.token()}"},
        timeout=30.0,
    ) as owner:
        lesson = await owner.get(f"/api/v1/lessons/{worlds.other.ahead.id}")
    assert lesson.status_code == 200 and lesson.json()["record"] is None
    # Nor was anything else of it: its staff, its groups and its periods are as they were.
    async with httpx.AsyncClient(
        base_url=stack.gateway_url,
        headers={"Authorization": f"Bearer {worlds.other.deputy.token()}"},
        timeout=30.0,
    ) as owner:
        teacher = await owner.get(f"/api/v1/people/{worlds.other.teacher.person_id}")
        groups = await owner.get(f"/api/v1/study-years/{worlds.other.year.id}/groups")
        locks = await owner.get(f"/api/v1/institutions/{worlds.other.institution_id}/period-locks")
    assert teacher.json()["account_status"] == "active"
    assert [g["name"] for g in groups.json()["items"]] == [worlds.other.group.name]
    assert not any(p["period"]["closed"] or p["unlocks"] for p in locks.json()["items"])


def _ids(response: httpx.Response) -> list[str]:
    """Every string value of a JSON answer (ids among them)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                found.append(str(key))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(response.json())
    return found


def pages(world: ClassJournal) -> dict[str, str]:
    """Pages of the web UI that name a resource of ``world`` in their address."""
    student = world.students[0].person_id
    return {
        "lesson form": f"/journal/lessons/{world.yesterday.id}",
        "grid": f"/journal/groups/{world.group.id}?period_id={world.second.id}",
        "diary": f"/diary?student={student}",
        "marks": f"/diary/marks?student={student}",
        "person": f"/people/{world.teacher.person_id}",
        "dismissal": f"/people/{world.teacher.person_id}/dismiss",
    }


# Every page of every menu: at home they answer (or refuse) without a server error.
MENU_PAGES = (
    "/",
    "/today",
    "/journal",
    "/overdue",
    "/monitoring",
    "/periods",
    "/plans",
    "/opening",
    "/diary",
    "/diary/marks",
    "/people",
    "/people/hire",
    "/people/import",
    "/access",
    "/pd-log",
    "/district",
)


async def test_no_role_sees_or_changes_anything_of_another_institution_through_the_pages(
    stack: Stack, worlds: Worlds
) -> None:
    leaks, server_errors, writes = [], [], []
    foreign = secrets_of(worlds.other)
    for role in ROLES:
        person = member(worlds.home, role)
        browser = Browser()
        try:
            landed = await login(stack, browser, person.login, person.password)
            assert landed.status_code == 200, (role, landed.text[:300])
            token = csrf_token(landed)
            for name, path in [*pages(worlds.other).items(), *((p, p) for p in MENU_PAGES)]:
                page = await browser.http.get(base(stack) + path)
                if page.status_code >= 500:
                    server_errors.append((role, name, page.status_code))
                # The page's own address is echoed (the language switch returns to it): the
                # id asked for is no news to the asker.
                if found := [s for s in foreign if s in page.text and s not in path]:
                    leaks.append((role, name, found))
            # A lesson form of the other institution posted with a valid CSRF token.
            lesson = f"{base(stack)}/journal/lessons/{worlds.other.ahead.id}"
            posted = await browser.http.post(
                lesson, data={"csrf_token": token, "topic": "Чужой урок", "version": "0"}
            )
            writes.append((role, posted.status_code))
            closing = await browser.http.post(
                f"{base(stack)}/periods/{worlds.other.first.id}/close",
                data={"csrf_token": token, "study_year_id": worlds.other.year.id},
            )
            writes.append((role, closing.status_code))
        finally:
            await browser.http.aclose()
    assert not server_errors, server_errors
    assert not leaks, leaks
    assert all(status in (403, 404, 422) for _, status in writes), writes
    # Nothing of the other institution changed.
    async with httpx.AsyncClient(
        base_url=stack.gateway_url,
        headers={"Authorization": f"Bearer {worlds.other.deputy.token()}"},
        timeout=30.0,
    ) as owner:
        lesson = await owner.get(f"/api/v1/lessons/{worlds.other.ahead.id}")
        locks = await owner.get(f"/api/v1/institutions/{worlds.other.institution_id}/period-locks")
    assert lesson.status_code == 200 and lesson.json()["record"] is None
    first = {p["period"]["id"]: p for p in locks.json()["items"]}[worlds.other.first.id]
    assert not first["period"]["closed"]
