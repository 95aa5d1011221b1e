"""Bulk import of staff, students and guardians from CSV or XLSX (how schools start).

A dry run lists every bad line by number and reason. A real run imports everything or
nothing: the file is checked against the directory first (taken logins, children that are
not students), then the same saga as a single hire runs for all rows at once: people PENDING
in one transaction, their Keycloak accounts, then all ACTIVE with their events in one
transaction; a failure on the way undoes both sides.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from zhurnal.identity.v1 import events_pb2, people_pb2
from zhurnal_identity.adapters.keycloak_bulk import NewAccount
from zhurnal_identity.adapters.protos import binding_to_proto, person_to_proto, timestamp
from zhurnal_identity.domain import policy
from zhurnal_identity.domain.access import Role, RoleBinding
from zhurnal_identity.domain.imports import ImportProblem, ImportRow, parse_people_file
from zhurnal_identity.domain.people import AccountStatus, Person, PersonKind
from zhurnal_identity.service_layer.access import require, resolve, utcnow
from zhurnal_identity.service_layer.people import UowFactory, temporary_password
from zhurnal_identity.service_layer.ports import BulkAccounts
from zhurnal_identity.service_layer.unit_of_work import IdentityUnitOfWork
from zhurnal_kit.auth import Caller
from zhurnal_kit.errors import DomainError, invalid
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import forget, recall, remember

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
OPERATION = "import_people"


@dataclass(frozen=True)
class ImportPeople:
    """The command: a file for an institution, checked only or imported."""

    institution_id: str
    fmt: str
    content: bytes
    dry_run: bool
    idempotency_key: str = ""


@dataclass
class ImportResult:
    """Lines read, problems found, and the accounts made (with their temporary passwords)."""

    lines: int
    problems: list[ImportProblem] = field(default_factory=list)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    imported_at: datetime | None = None


def _role(row: ImportRow) -> Role:
    if row.kind == PersonKind.STUDENT:
        return Role.STUDENT
    if row.kind == PersonKind.GUARDIAN:
        return Role.GUARDIAN
    return Role(row.role.value) if row.role else Role.TEACHER


async def import_people(
    uows: UowFactory, bulk: BulkAccounts, caller: Caller, command: ImportPeople
) -> ImportResult:
    """Check a file (dry run) or import all of it or nothing."""
    now = utcnow()
    if command.fmt not in ("csv", "xlsx"):
        raise invalid("format", "must be CSV or XLSX")
    if len(command.content) > MAX_FILE_BYTES:
        raise invalid("content", f"must be at most {MAX_FILE_BYTES // 1024 // 1024} MB")
    async with uows() as uow:
        me = await resolve(uow, caller, now)
        require(
            me, policy.PERSON_MANAGE, policy.Resource(institution_id=command.institution_id), now
        )
        if not await uow.institutions.exists(command.institution_id):
            raise invalid("institution_id", "is unknown")
        if not command.dry_run and (
            earlier := await recall(uow.session, OPERATION, command.idempotency_key)
        ):
            return ImportResult(lines=int(earlier.decode()))
        plan = parse_people_file(
            command.content,
            command.fmt,  # type: ignore[arg-type]
            today=now.date(),
        )
        taken = await uow.people.logins_taken([r.login for r in plan.rows])
        external = {r.child_login for r in plan.external_children}
        existing = await _students_of(uow, sorted(external), command.institution_id, now)
        problems = plan.problems + plan.directory_problems(
            existing_students=set(existing), taken_logins=taken
        )
        problems.sort(key=lambda p: p.line)
        if problems or command.dry_run:
            return ImportResult(lines=plan.lines, problems=problems)
        people = {row.login: _person(row) for row in plan.rows}
        bindings = [
            RoleBinding.grant(
                person_id=people[row.login].id,
                institution_id=command.institution_id,
                role=_role(row),
                valid_from=now,
                valid_until=None,
                granted_by=me.person.id,
            )
            for row in plan.rows
        ]
        # A staff member who lists children is a guardian too.
        bindings += [
            RoleBinding.grant(
                person_id=people[row.login].id,
                institution_id=command.institution_id,
                role=Role.GUARDIAN,
                valid_from=now,
                valid_until=None,
                granted_by=me.person.id,
            )
            for row in plan.rows
            if row.children and row.kind != PersonKind.GUARDIAN
        ]
        links = [
            (people[row.login].id, people[child].id if child in people else existing[child])
            for row in plan.rows
            for child in row.children
        ]
        await uow.people.add_many(list(people.values()))
        await uow.bindings.add_many(bindings)
        await uow.guardians.add_many(links)
        await remember(uow.session, OPERATION, command.idempotency_key, str(plan.lines).encode())
        await uow.commit()
    passwords = {login: temporary_password() for login in people}
    try:
        user_ids = await bulk.create_users(
            [
                NewAccount(
                    login=login,
                    first_name=p.name.first,
                    last_name=p.name.last,
                    email=p.personal_data.email,
                    person_id=p.id,
                    temporary_password=passwords[login],
                )
                for login, p in people.items()
            ]
        )
    except DomainError:
        async with uows() as uow:
            for person in people.values():
                await uow.people.delete(person.id)
            await forget(uow.session, OPERATION, command.idempotency_key)
            await uow.commit()
        raise
    async with uows() as uow:
        by_person = {b.person_id: b for b in bindings}
        for login, person in people.items():
            person.keycloak_user_id = user_ids[login]
            person.account_status = AccountStatus.ACTIVE
            await uow.people.save(person)
            uow.publish(_registered(person, by_person[person.id]))
        await uow.commit()
    log.info(
        "people imported", extra={"institution_id": command.institution_id, "people": len(people)}
    )
    return ImportResult(
        lines=plan.lines,
        imported_at=now,
        accounts=[(p.id, login, passwords[login]) for login, p in people.items()],
    )


def _person(row: ImportRow) -> Person:
    person = Person.new(
        name=row.name, login=row.login, kind=row.kind, personal_data=row.personal_data
    )
    person.kinds = set(row.kinds)
    if row.kind == PersonKind.STAFF:
        person.position = row.position
        person.employment_start = row.employment_start
    return person


def _registered(person: Person, binding: RoleBinding) -> Event:
    proto, bound = person_to_proto(person), binding_to_proto(binding, person.name.display)
    payload = (
        events_pb2.StaffHired(person=proto, binding=bound)
        if PersonKind.STAFF in person.kinds
        else events_pb2.StudentRegistered(person=proto, binding=bound)
        if PersonKind.STUDENT in person.kinds
        else events_pb2.GuardianRegistered(person=proto, binding=bound)
    )
    return Event(
        aggregate="person",
        aggregate_id=person.id,
        institution_id=binding.institution_id,
        payload=payload,
    )


async def _students_of(
    uow: object, logins: list[str], institution_id: str, now: datetime
) -> dict[str, str]:
    """login -> person id of those ``logins`` that are students of the institution."""

    assert isinstance(uow, IdentityUnitOfWork)
    found = {}
    for person in await uow.people.by_logins(logins):
        bindings = await uow.bindings.open_for_person(person.id)
        if any(
            b.role == Role.STUDENT and b.institution_id == institution_id and b.active_at(now)
            for b in bindings
        ):
            found[person.login] = person.id
    return found


def to_proto(result: ImportResult) -> people_pb2.ImportPeopleResponse:
    """The contract's view of an import's outcome."""
    return people_pb2.ImportPeopleResponse(
        lines=result.lines,
        problems=[
            people_pb2.ImportProblem(line=p.line, column=p.column, reason=p.reason)
            for p in result.problems
        ],
        accounts=[
            people_pb2.ImportedAccount(person_id=i, login=login, temporary_password=pw)
            for i, login, pw in result.accounts
        ],
        imported_at=timestamp(result.imported_at),
    )
