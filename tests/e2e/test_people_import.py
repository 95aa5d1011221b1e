"""Bulk import through the running identity service, Keycloak and PostgreSQL: a dry run
lists every bad line, a bad file writes nothing, a good file imports everything at once."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from bench.people_files import people_csv, people_xlsx, school_people
from e2e.world import Identity, new_institution

from zhurnal.identity.v1 import people_pb2
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

FIXTURES = Path(__file__).resolve().parents[2] / "services" / "identity" / "tests" / "fixtures"


def unique_people(students: int) -> list[dict[str, Any]]:
    """A generated school whose logins no other test (or earlier run) used."""
    prefix = f"i{uuid.uuid4().hex[:6]}."
    rows = school_people(students)
    for row in rows:
        row["login"] = prefix + row["login"]
        if row["email"]:
            row["email"] = prefix + row["email"]  # Keycloak wants e-mails unique too
        if row["children"]:
            children = re.split(r"[;,]", row["children"])
            row["children"] = ", ".join(prefix + c.strip() for c in children if c.strip())
    return rows


async def counts(stack: Stack, pg: Any) -> tuple[int, int, int]:
    identity = await pg(stack.database_urls["identity"])
    return (
        await identity.fetchval("SELECT count(*) FROM person"),
        await identity.fetchval("SELECT count(*) FROM role_binding"),
        await identity.fetchval("SELECT count(*) FROM guardian_link"),
    )


async def test_a_bad_file_lists_every_bad_line_and_imports_nothing(
    stack: Stack, district_admin: Person, pg: Any
) -> None:
    school = await new_institution(stack, district_admin)
    before = await counts(stack, pg)
    content = (FIXTURES / "people_bad.csv").read_bytes()
    async with Identity(stack, district_admin.token()) as admin:
        results = [
            await admin.call(
                admin.people.ImportPeople,
                people_pb2.ImportPeopleRequest(
                    institution_id=school,
                    format=people_pb2.IMPORT_FORMAT_CSV,
                    content=content,
                    dry_run=dry_run,
                ),
            )
            for dry_run in (True, False)
        ]
    for result in results:
        assert result.problems, "the bad file must be refused"
        assert not result.accounts
        lines = {p.line for p in result.problems}
        assert {2, 3, 4, 5} <= lines
        assert all(p.reason for p in result.problems)
    assert [(p.line, p.column, p.reason) for p in results[0].problems] == [
        (p.line, p.column, p.reason) for p in results[1].problems
    ]
    assert await counts(stack, pg) == before


async def test_a_good_file_imports_all_people_with_accounts_and_links(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin, pg: Any
) -> None:
    school = await new_institution(stack, district_admin)
    rows = unique_people(12)
    before = await counts(stack, pg)
    async with Identity(stack, district_admin.token()) as admin:
        checked = await admin.call(
            admin.people.ImportPeople,
            people_pb2.ImportPeopleRequest(
                institution_id=school,
                format=people_pb2.IMPORT_FORMAT_XLSX,
                content=people_xlsx(rows),
                dry_run=True,
            ),
        )
        assert list(checked.problems) == []
        assert await counts(stack, pg) == before  # a dry run writes nothing
        key = str(uuid.uuid4())
        imported = await admin.call(
            admin.people.ImportPeople,
            people_pb2.ImportPeopleRequest(
                institution_id=school,
                format=people_pb2.IMPORT_FORMAT_CSV,
                content=people_csv(rows),
                idempotency_key=key,
            ),
        )
        again = await admin.call(
            admin.people.ImportPeople,
            people_pb2.ImportPeopleRequest(
                institution_id=school,
                format=people_pb2.IMPORT_FORMAT_CSV,
                content=people_csv(rows),
                idempotency_key=key,
            ),
        )
    assert list(imported.problems) == []
    assert {a.login for a in imported.accounts} == {r["login"] for r in rows}
    assert not again.accounts  # the retry did not import twice
    people, bindings, links = await counts(stack, pg)
    assert people - before[0] == len(rows)
    guardians = [r for r in rows if r["children"]]
    assert links - before[2] == sum(len(r["children"].split(", ")) for r in guardians)
    assert bindings - before[1] == len(rows) + sum(1 for r in guardians if r["kind"] == "staff")
    sample = imported.accounts[0]
    account = keycloak.user(sample.login)
    assert account is not None
    assert "UPDATE_PASSWORD" in account["requiredActions"]
    # The temporary password works once, for the change Keycloak asks for.
    keycloak.set_password(sample.login, "Новый-пароль-2026")
    assert keycloak.password_token(sample.login, "Новый-пароль-2026")
    async with Identity(stack, district_admin.token()) as admin:
        listed = await admin.call(
            admin.people.ListPeople,
            people_pb2.ListPeopleRequest(
                institution_id=school, kind=people_pb2.PERSON_KIND_STUDENT, page_size=5
            ),
        )
        rest = await admin.call(
            admin.people.ListPeople,
            people_pb2.ListPeopleRequest(
                institution_id=school,
                kind=people_pb2.PERSON_KIND_STUDENT,
                page_size=100,
                page_token=listed.next_page_token,
            ),
        )
    students = [*listed.people, *rest.people]
    assert len(students) == sum(1 for r in rows if r["kind"] == "student")
    names = [(p.last_name, p.first_name) for p in students]
    assert names == sorted(
        names, key=lambda n: (n[0].lower().replace("ё", "е"), n[1].lower().replace("ё", "е"))
    )
