"""Use cases on access: who the caller is, the policy's decisions, grants, reviews, expiry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import Counter

from zhurnal.identity.v1 import events_pb2
from zhurnal_identity.adapters.protos import binding_to_proto
from zhurnal_identity.domain import policy
from zhurnal_identity.domain.access import Basis, Role, RoleBinding
from zhurnal_identity.domain.people import Person
from zhurnal_identity.service_layer.unit_of_work import IdentityUnitOfWork
from zhurnal_kit.auth import Caller
from zhurnal_kit.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from zhurnal_kit.events import Event

log = logging.getLogger(__name__)

DECISIONS = Counter(
    "zhurnal_authz_decisions_total", "Authorization decisions", ["action", "allowed"]
)


def utcnow() -> datetime:
    """Now, in UTC (one place, so tests can reason about time)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Me:
    """The caller resolved to a person, with their active bindings and children."""

    person: Person
    principal: policy.Principal


async def resolve(uow: IdentityUnitOfWork, caller: Caller, now: datetime) -> Me:
    """The person behind a token (inside an open unit of work)."""
    if not caller.subject:
        raise Unauthenticated("sign in first")
    person = await uow.people.by_keycloak_id(caller.subject)
    if person is None:
        raise PermissionDenied("this account is not registered in Zhurnal")
    bindings = tuple(b for b in await uow.bindings.open_for_person(person.id) if b.active_at(now))
    children = frozenset(await uow.guardians.children_of(person.id))
    return Me(person, policy.Principal(person.id, person.active, bindings, children))


def check(me: Me, action: str, resource: policy.Resource, now: datetime) -> policy.Decision:
    """The policy's decision, counted and, when it is a denial, logged."""
    decision = policy.decide(me.principal, action, resource, now=now)
    DECISIONS.labels(action, str(decision.allowed).lower()).inc()
    if not decision.allowed:
        log.warning(
            "access denied",
            extra={
                "person_id": me.person.id,
                "action": action,
                "institution_id": resource.institution_id,
                "resource_person_id": resource.person_id,
                "reason": decision.reason,
            },
        )
    return decision


def require(me: Me, action: str, resource: policy.Resource, now: datetime) -> None:
    """Raise PermissionDenied unless the policy allows."""
    decision = check(me, action, resource, now)
    if not decision.allowed:
        raise PermissionDenied(f"{action} is not allowed: {decision.reason}")


async def authorize(
    uow: IdentityUnitOfWork, caller: Caller, action: str, resource: policy.Resource
) -> policy.Decision:
    """Decide for another service (AccessService.Authorize)."""
    now = utcnow()
    async with uow:
        try:
            me = await resolve(uow, caller, now)
        except PermissionDenied as exc:
            DECISIONS.labels(action, "false").inc()
            log.warning(
                "access denied",
                extra={"subject": caller.subject, "action": action, "reason": exc.message},
            )
            return policy.Decision(False, exc.message)
    return check(me, action, resource, now)


async def who_am_i(uow: IdentityUnitOfWork, caller: Caller) -> Me:
    """The caller's person, active bindings and children."""
    async with uow:
        return await resolve(uow, caller, utcnow())


@dataclass(frozen=True)
class GrantAccess:
    """The command to bind a person to a role."""

    person_id: str
    institution_id: str
    role: Role | None
    valid_from: datetime | None
    valid_until: datetime | None
    basis: Basis
    scope: frozenset[str] = frozenset()


def _granted_event(binding: RoleBinding, name: str) -> Event:
    return Event(
        aggregate="binding",
        aggregate_id=binding.id,
        institution_id=binding.institution_id,
        payload=events_pb2.AccessGranted(binding=binding_to_proto(binding, name)),
    )


def _ended_event(binding: RoleBinding, name: str) -> Event:
    return Event(
        aggregate="binding",
        aggregate_id=binding.id,
        institution_id=binding.institution_id,
        payload=events_pb2.AccessEnded(binding=binding_to_proto(binding, name)),
    )


async def grant_access(
    uow: IdentityUnitOfWork, caller: Caller, command: GrantAccess
) -> RoleBinding:
    """Grant a role (R-4.1, R-4.4): a temporary grant needs its written basis."""
    now = utcnow()
    if command.role is None:
        raise InvalidArgument("the role is not valid", [FieldViolation("role", "is required")])
    async with uow:
        me = await resolve(uow, caller, now)
        # A district role is granted by a district administrator; others in the institution.
        require(
            me,
            policy.ACCESS_MANAGE,
            policy.Resource(institution_id=command.institution_id),
            now,
        )
        if command.role.is_district and not any(
            b.role == Role.DISTRICT_ADMINISTRATOR for b in me.principal.bindings
        ):
            raise PermissionDenied("only a district administrator grants district roles")
        target = await uow.people.get(command.person_id)
        if target is None:
            raise InvalidArgument("no such person", [FieldViolation("person_id", "is unknown")])
        if command.institution_id and not await uow.institutions.exists(command.institution_id):
            raise InvalidArgument(
                "no such institution", [FieldViolation("institution_id", "is unknown")]
            )
        unknown = command.scope - policy.INSPECTABLE
        if unknown:
            raise InvalidArgument(
                "unknown actions in scope",
                [
                    FieldViolation(
                        "scope", "may name only: " + ", ".join(sorted(policy.INSPECTABLE))
                    )
                ],
            )
        binding = RoleBinding.grant(
            person_id=target.id,
            institution_id=command.institution_id,
            role=command.role,
            valid_from=command.valid_from or now,
            valid_until=command.valid_until,
            granted_by=me.person.id,
            basis=command.basis,
            scope=command.scope,
            requires_basis=command.role in (Role.INSPECTOR,) or command.valid_until is not None,
        )
        await uow.bindings.add(binding)
        uow.publish(_granted_event(binding, target.name.display))
        await uow.commit()
    return binding


async def revoke_access(
    uow: IdentityUnitOfWork, caller: Caller, binding_id: str, reason: str
) -> RoleBinding:
    """End a binding now (R-4.4: on written application)."""
    now = utcnow()
    if not reason.strip():
        raise InvalidArgument("a reason is required", [FieldViolation("reason", "is required")])
    async with uow:
        me = await resolve(uow, caller, now)
        binding = await uow.bindings.get(binding_id)
        if binding is None:
            raise NotFound(f"no binding {binding_id!r}")
        require(
            me,
            policy.ACCESS_MANAGE,
            policy.Resource(institution_id=binding.institution_id),
            now,
        )
        if binding.ended_at is not None:
            return binding
        ended = binding.end(at=now, reason=reason.strip()[:200])
        await uow.bindings.save(ended)
        target = await uow.people.get(binding.person_id)
        uow.publish(_ended_event(ended, target.name.display if target else ""))
        await uow.commit()
    return ended


async def review_access(
    uow: IdentityUnitOfWork, caller: Caller, institution_id: str
) -> list[tuple[RoleBinding, str]]:
    """Every active binding of an institution with its basis and end (access review)."""
    now = utcnow()
    async with uow:
        me = await resolve(uow, caller, now)
        require(me, policy.ACCESS_REVIEW, policy.Resource(institution_id=institution_id), now)
        return await uow.bindings.active_in_institution(institution_id, now)


async def expire_due(uow: IdentityUnitOfWork) -> int:
    """End every binding whose valid_until has come; one AccessEnded event each."""
    now = utcnow()
    async with uow:
        due = await uow.bindings.due(now)
        for binding in due:
            ended = binding.end(at=binding.valid_until or now, reason="expired")
            await uow.bindings.save(ended)
            target = await uow.people.get(binding.person_id)
            uow.publish(_ended_event(ended, target.name.display if target else ""))
        await uow.commit()
    if due:
        log.info("bindings expired", extra={"count": len(due)})
    return len(due)


async def personal_data_log(
    uow: IdentityUnitOfWork,
    caller: Caller,
    *,
    institution_id: str,
    subject_id: str,
    before_id: int,
    limit: int,
) -> list[object]:
    """Who read whose personal data, newest first (administrators of the institution)."""
    now = utcnow()
    async with uow:
        me = await resolve(uow, caller, now)
        require(
            me,
            policy.PD_LOG_READ,
            policy.Resource(institution_id=institution_id),
            now,
        )
        return await uow.personal_data_log.entries(
            institution_id=institution_id, subject_id=subject_id, before_id=before_id, limit=limit
        )
