"""Use cases on people: hire (R-4.2), dismiss (R-4.3), diary accounts, links, reading.

Creating a person spans two systems, PostgreSQL and Keycloak, so it is a small saga:
1. the person is written PENDING (no access: the policy needs an active account);
2. the Keycloak account is created (idempotent for the same person);
3. the person becomes ACTIVE and the event is published, in one transaction.
When step 2 fails the person is deleted again (compensation) and the error says to retry.
When the process dies between the steps, the recovery job (scheduler) deletes both the
pending person and any account made for it, so no person without an account and no account
without a person stays behind; a retry with the same idempotency key starts afresh.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

from zhurnal.identity.v1 import events_pb2
from zhurnal_identity.adapters.protos import binding_to_proto, person_to_proto
from zhurnal_identity.domain import policy
from zhurnal_identity.domain.access import STAFF_ROLES, Basis, Role, RoleBinding
from zhurnal_identity.domain.people import (
    AccountStatus,
    FullName,
    Person,
    PersonalData,
    PersonKind,
    validate_login,
)
from zhurnal_identity.service_layer.access import Me, check, require, resolve, utcnow
from zhurnal_identity.service_layer.ports import AccountDirectory
from zhurnal_identity.service_layer.unit_of_work import IdentityUnitOfWork
from zhurnal_kit.auth import Caller
from zhurnal_kit.errors import (
    AlreadyExists,
    DomainError,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    invalid,
)
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import forget, recall, remember
from zhurnal_kit.paging import decode_cursor, encode_cursor

log = logging.getLogger(__name__)

UowFactory = Callable[[], IdentityUnitOfWork]
PENDING_GRACE = timedelta(minutes=2)


def temporary_password() -> str:
    """A one-time password meeting the realm's policy; Keycloak demands a new one at login."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class Enrolment:
    """The command to register a person with an account and one role in an institution."""

    institution_id: str
    kind: PersonKind
    role: Role | None
    last_name: str
    first_name: str
    patronymic: str
    login: str
    personal_data: PersonalData = field(default_factory=PersonalData)
    position: str = ""
    employment_start: date | None = None
    basis: Basis = field(default_factory=Basis)
    scope: frozenset[str] = frozenset()
    valid_until: datetime | None = None
    student_ids: tuple[str, ...] = ()
    idempotency_key: str = ""


@dataclass
class Enrolled:
    """What an enrolment made."""

    person: Person
    binding: RoleBinding
    temporary_password: str = ""
    student_ids: list[str] = field(default_factory=list)


# Who can be given an account through HireStaff: staff, and the other users of.
HIREABLE = STAFF_ROLES | {Role.INSPECTOR, Role.DISTRICT_ADMINISTRATOR, Role.DISTRICT_ANALYST}

_OPERATION = {
    PersonKind.STAFF: "hire_staff",
    PersonKind.STUDENT: "register_student",
    PersonKind.GUARDIAN: "register_guardian",
}


def _validate(command: Enrolment, today: date) -> tuple[FullName, str, PersonalData]:
    problems: list[FieldViolation] = []
    name = login = data = None
    for check_part in ("name", "login", "data"):
        try:
            if check_part == "name":
                name = FullName.parse(command.last_name, command.first_name, command.patronymic)
            elif check_part == "login":
                login = validate_login(command.login)
            else:
                data = command.personal_data.validated(today=today)
        except InvalidArgument as error:
            problems += error.violations
    if command.kind == PersonKind.STAFF:
        if command.role not in HIREABLE:
            problems.append(FieldViolation("role", "must be a staff, inspector or district role"))
        if not command.position.strip() or len(command.position) > 200:
            problems.append(FieldViolation("position", "is required (at most 200 characters)"))
    if command.kind == PersonKind.STUDENT and command.personal_data.birth_date is None:
        problems.append(FieldViolation("personal_data.birth_date", "is required for a student"))
    if command.kind == PersonKind.GUARDIAN and not command.student_ids:
        problems.append(FieldViolation("student_ids", "a guardian needs at least one student"))
    if problems:
        raise InvalidArgument("the person is not valid", problems)
    assert name and login and data is not None
    return name, login, data


def _enrolled_event(kind: PersonKind, enrolled: Enrolled) -> Event:
    person = person_to_proto(enrolled.person)
    binding = binding_to_proto(enrolled.binding, enrolled.person.name.display)
    payload = {
        PersonKind.STAFF: lambda: events_pb2.StaffHired(person=person, binding=binding),
        PersonKind.STUDENT: lambda: events_pb2.StudentRegistered(person=person, binding=binding),
        PersonKind.GUARDIAN: lambda: events_pb2.GuardianRegistered(
            person=person, binding=binding, student_ids=enrolled.student_ids
        ),
    }[kind]()
    return Event(
        aggregate="person",
        aggregate_id=enrolled.person.id,
        institution_id=enrolled.binding.institution_id,
        payload=payload,
    )


async def enrol(
    uows: UowFactory, accounts: AccountDirectory, caller: Caller, command: Enrolment
) -> Enrolled:
    """Hire staff, or register a student or guardian, with a Keycloak account (a saga)."""
    now = utcnow()
    operation = _OPERATION[command.kind]
    role = (
        Role.STUDENT
        if command.kind == PersonKind.STUDENT
        else (Role.GUARDIAN if command.kind == PersonKind.GUARDIAN else command.role)
    )
    # Phase 1: validate, authorize and write the person PENDING.
    async with uows() as uow:
        me = await resolve(uow, caller, now)
        if earlier := await recall(uow.session, operation, command.idempotency_key):
            return await _recalled(uow, earlier.decode())
        require(
            me, policy.PERSON_MANAGE, policy.Resource(institution_id=command.institution_id), now
        )
        name, login, data = _validate(command, now.date())
        if command.institution_id and not await uow.institutions.exists(command.institution_id):
            raise invalid("institution_id", "is unknown")
        if await uow.people.by_login(login):
            raise AlreadyExists(
                f"login {login!r} is taken",
                [FieldViolation("login", "is already used by another person")],
            )
        students = await _students(uow, list(command.student_ids), command.institution_id, now)
        person = Person.new(name=name, login=login, kind=command.kind, personal_data=data)
        if command.kind == PersonKind.STAFF:
            person.position = command.position.strip()
            person.employment_start = command.employment_start or now.date()
        assert role is not None
        binding = RoleBinding.grant(
            person_id=person.id,
            institution_id=command.institution_id,
            role=role,
            valid_from=now,
            valid_until=command.valid_until,
            granted_by=me.person.id,
            basis=command.basis,
            scope=command.scope,
            requires_basis=role == Role.INSPECTOR or command.valid_until is not None,
        )
        await uow.people.add(person)
        await uow.bindings.add(binding)
        await uow.guardians.add_many([(person.id, s) for s in students])
        # The binding too: a retry after the person's roles ended still names what was made.
        record = f"{person.id} {binding.id}"
        await remember(uow.session, operation, command.idempotency_key, record.encode())
        await uow.commit()
    # Phase 2: the account.
    password = temporary_password()
    try:
        user_id = await accounts.create_user(
            login=login,
            first_name=name.first,
            last_name=name.last,
            email=data.email,
            person_id=person.id,
            temporary_password=password,
        )
    except DomainError:
        await _compensate(uows, person.id, operation, command.idempotency_key)
        raise
    # Phase 3: activate and announce.
    enrolled = Enrolled(person, binding, password, students)
    async with uows() as uow:
        person.keycloak_user_id = user_id
        person.account_status = AccountStatus.ACTIVE
        await uow.people.save(person)
        uow.publish(_enrolled_event(command.kind, enrolled))
        await uow.commit()
    log.info(
        "person enrolled",
        extra={
            "person_id": person.id,
            "role": role.value,
            "institution_id": command.institution_id,
        },
    )
    return enrolled


async def _recalled(uow: IdentityUnitOfWork, record: str) -> Enrolled:
    person_id, _, binding_id = record.partition(" ")
    person = await uow.people.get(person_id)
    # Records written before the binding was kept name the person only.
    bindings = (
        [b] if binding_id and (b := await uow.bindings.get(binding_id)) else []
    ) or await uow.bindings.open_for_person(person_id)
    assert person is not None and bindings, "an idempotency record points at a missing person"
    return Enrolled(person, bindings[0], "", await uow.guardians.children_of(person_id))


async def _students(
    uow: IdentityUnitOfWork, ids: list[str], institution_id: str, now: datetime
) -> list[str]:
    """The ids, checked to be students of the institution (a guardian's children)."""
    if not ids:
        return []
    found = {p.id: p for p in await uow.people.get_many(ids)}
    problems = []
    for index, student_id in enumerate(ids):
        student = found.get(student_id)
        if student is None or PersonKind.STUDENT not in student.kinds:
            problems.append(FieldViolation(f"student_ids[{index}]", "is not a student"))
        elif not any(
            b.role == Role.STUDENT and b.institution_id == institution_id and b.active_at(now)
            for b in await uow.bindings.open_for_person(student_id)
        ):
            problems.append(
                FieldViolation(f"student_ids[{index}]", "is not a student of this institution")
            )
    if problems:
        raise InvalidArgument("a guardian can be linked to students only", problems)
    return ids


async def _compensate(uows: UowFactory, person_id: str, operation: str, key: str) -> None:
    async with uows() as uow:
        await uow.people.delete(person_id)
        await forget(uow.session, operation, key)
        await uow.commit()
    log.warning(
        "enrolment compensated: the account could not be created", extra={"person_id": person_id}
    )


async def link_guardian(
    uows: UowFactory, caller: Caller, guardian_id: str, student_id: str
) -> None:
    """Let a guardian read a student's diary."""
    now = utcnow()
    async with uows() as uow:
        me = await resolve(uow, caller, now)
        guardian = await uow.people.get(guardian_id)
        if guardian is None or PersonKind.GUARDIAN not in guardian.kinds:
            raise invalid("guardian_id", "is not a guardian")
        bindings = [
            b
            for b in await uow.bindings.open_for_person(student_id)
            if b.role == Role.STUDENT and b.active_at(now)
        ]
        if not bindings:
            raise invalid("student_id", "is not a student")
        require(
            me,
            policy.PERSON_MANAGE,
            policy.Resource(institution_id=bindings[0].institution_id),
            now,
        )
        await uow.guardians.add(guardian_id, student_id)
        uow.publish(
            Event(
                aggregate="person",
                aggregate_id=guardian_id,
                institution_id=bindings[0].institution_id,
                payload=events_pb2.GuardianLinked(guardian_id=guardian_id, student_id=student_id),
            )
        )
        await uow.commit()


async def dismiss(
    uows: UowFactory,
    accounts: AccountDirectory,
    caller: Caller,
    *,
    person_id: str,
    employment_end: date | None,
    basis: Basis,
) -> tuple[Person, list[RoleBinding]]:
    """Dismiss (R-4.3): disable the account and end its sessions at once, end every binding.

    Past journal entries keep their author: the person stays, only their access ends.
    """
    now = utcnow()
    async with uows() as uow:
        me = await resolve(uow, caller, now)
        person = await uow.people.get(person_id)
        if person is None:
            raise NotFound(f"no person {person_id!r}")
        open_bindings = await uow.bindings.open_for_person(person_id)
        staff = [b for b in open_bindings if b.role in STAFF_ROLES]
        if PersonKind.STAFF not in person.kinds:
            raise invalid("person_id", "is not staff")
        institutions = {b.institution_id for b in staff} or {""}
        for institution_id in institutions:
            require(
                me,
                policy.PERSON_MANAGE,
                policy.Resource(institution_id=institution_id),
                now,
            )
    # Keycloak first: access must end at once even if what follows fails (then retry).
    if person.keycloak_user_id:
        await accounts.disable_user(person.keycloak_user_id)
    async with uows() as uow:
        ended = [b.end(at=now, reason="dismissed") for b in open_bindings]
        for binding in ended:
            await uow.bindings.save(binding)
        person.account_status = AccountStatus.DISABLED
        person.employment_end = employment_end or now.date()
        await uow.people.save(person)
        name = person.name.display
        uow.publish(
            Event(
                aggregate="person",
                aggregate_id=person.id,
                institution_id=next(iter(institutions)),
                payload=events_pb2.StaffDismissed(
                    person=person_to_proto(person), ended=[binding_to_proto(b, name) for b in ended]
                ),
            )
        )
        for binding in ended:
            uow.publish(
                Event(
                    aggregate="binding",
                    aggregate_id=binding.id,
                    institution_id=binding.institution_id,
                    payload=events_pb2.AccessEnded(binding=binding_to_proto(binding, name)),
                )
            )
        await uow.commit()
    log.info(
        "staff dismissed",
        extra={"person_id": person.id, "bindings_ended": len(ended), "basis": basis.number},
    )
    return person, ended


def _institutions_of(bindings: list[RoleBinding], now: datetime) -> list[str]:
    return sorted({b.institution_id for b in bindings if b.active_at(now) and b.institution_id})


async def _allowed_somewhere(
    me: Me, action: str, person: Person, bindings: list[RoleBinding], now: datetime
) -> str | None:
    """The institution in which the caller may take ``action`` on ``person``, if any."""
    for institution_id in _institutions_of(bindings, now) or [""]:
        resource = policy.Resource(institution_id=institution_id, person_id=person.id)
        if policy.decide(me.principal, action, resource, now=now).allowed:
            return institution_id
    check(me, action, policy.Resource(person_id=person.id), now)  # logs the denial
    return None


async def get_person(
    uows: UowFactory, caller: Caller, *, person_id: str, with_personal_data: bool, purpose: str
) -> tuple[Person, bool]:
    """A person; personal data only when the policy allows, every such read logged."""
    now = utcnow()
    if with_personal_data and not purpose.strip():
        raise invalid("purpose", "say why the personal data is needed (it is logged)")
    async with uows() as uow:
        me = await resolve(uow, caller, now)
        person = await uow.people.get(person_id)
        if person is None:
            raise NotFound(f"no person {person_id!r}")
        bindings = await uow.bindings.open_for_person(person_id)
        if await _allowed_somewhere(me, policy.PERSON_READ, person, bindings, now) is None:
            # Same answer as for an unknown id: nothing of another institution leaks.
            raise NotFound(f"no person {person_id!r}")
        if not with_personal_data:
            return person, False
        institution_id = await _allowed_somewhere(
            me, policy.PERSONAL_DATA_READ, person, bindings, now
        )
        if institution_id is None:
            raise PermissionDenied("your role may not read this person's personal data")
        await uow.personal_data_log.record(
            reader_id=me.person.id,
            subject_id=person.id,
            institution_id=institution_id,
            purpose=purpose.strip()[:500],
            fields=person.personal_data.fields_present,
        )
        await uow.commit()
    return person, True


async def list_people(
    uows: UowFactory,
    caller: Caller,
    *,
    institution_id: str,
    kind: PersonKind | None,
    page_size: int,
    page_token: str,
) -> tuple[list[Person], str]:
    """People of an institution in Russian alphabetical order, a page at a time."""
    now = utcnow()
    if not 0 <= page_size <= 500:
        raise invalid("page_size", "must be between 0 and 500")
    size = page_size or 100
    async with uows() as uow:
        me = await resolve(uow, caller, now)
        require(me, policy.PERSON_READ, policy.Resource(institution_id=institution_id), now)
        people = await uow.people.in_institution(
            institution_id,
            kind,
            after=cast(tuple[str, str], decode_cursor(page_token, 2) or ("", "")),
            limit=size + 1,
            now=now,
        )
    more = len(people) > size
    people = people[:size]
    return people, (encode_cursor(people[-1].name.sort_key, people[-1].id) if more else "")
