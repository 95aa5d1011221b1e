"""The one authorization policy of Zhurnal: role x action x scope (docs/authorization.md).

Every service asks identity (AccessService.Authorize); identity decides here, from the
caller's active bindings and guardian links and from what the owning service says of the
resource (its institution, the person it is about, its teachers and substitutes: ADR 8).
Anything not allowed by a rule below is denied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from zhurnal_identity.domain.access import Role, RoleBinding


class Scope(StrEnum):
    """How far a rule reaches."""

    DISTRICT = "district"  # every institution (district roles)
    INSTITUTION = "institution"  # the binding's institution
    OWN_GROUPS = "own-groups"  # resources the caller teaches, in the binding's institution
    SUBSTITUTED = "substituted"  # resources the caller substitutes on now
    SELF = "self"  # resources about the caller
    CHILDREN = "children"  # resources about the caller's linked children
    NAMED = "named"  # inspector: the actions the binding names, in its institution


# Actions. Reads end in ".read"; inspectors may only ever be given reads.
INSTITUTION_READ = "institution.read"
INSTITUTION_MANAGE = "institution.manage"
PERSON_READ = "person.read"
PERSONAL_DATA_READ = "person.read_personal_data"
PERSON_MANAGE = "person.manage"
ACCESS_MANAGE = "access.manage"
ACCESS_REVIEW = "access.review"
PD_LOG_READ = "pd_log.read"
JOURNAL_READ = "journal.read"
JOURNAL_WRITE = "journal.write"
# A teacher filling in the journal for a colleague who cannot; the journal asks it only
# when the institution allows it and the caller is neither the teacher nor a substitute.
JOURNAL_FILL_IN = "journal.fill_in"
DIARY_READ = "diary.read"
CURRICULUM_READ = "curriculum.read"
CURRICULUM_MANAGE = "curriculum.manage"
PERIOD_MANAGE = "period.manage"
PLAN_WRITE = "plan.write"
PLAN_APPROVE = "plan.approve"
REPORT_READ = "report.read"
REPORT_SIGN = "report.sign"
AGGREGATE_READ = "aggregate.read"

ACTIONS = (
    INSTITUTION_READ,
    INSTITUTION_MANAGE,
    PERSON_READ,
    PERSONAL_DATA_READ,
    PERSON_MANAGE,
    ACCESS_MANAGE,
    ACCESS_REVIEW,
    PD_LOG_READ,
    JOURNAL_READ,
    JOURNAL_WRITE,
    JOURNAL_FILL_IN,
    DIARY_READ,
    CURRICULUM_READ,
    CURRICULUM_MANAGE,
    PERIOD_MANAGE,
    PLAN_WRITE,
    PLAN_APPROVE,
    REPORT_READ,
    REPORT_SIGN,
    AGGREGATE_READ,
)
# What an inspector's binding may name.
INSPECTABLE = frozenset(a for a in ACTIONS if a.endswith(".read") and a != PD_LOG_READ)

_I, _D = Scope.INSTITUTION, Scope.DISTRICT

# role -> action -> scopes. The table in docs/authorization.md is generated from this.
RULES: dict[Role, dict[str, tuple[Scope, ...]]] = {
    Role.DISTRICT_ADMINISTRATOR: {
        INSTITUTION_READ: (_D,),
        INSTITUTION_MANAGE: (_D,),
        PERSON_READ: (_D,),
        PERSONAL_DATA_READ: (_D,),
        PERSON_MANAGE: (_D,),
        ACCESS_MANAGE: (_D,),
        ACCESS_REVIEW: (_D,),
        PD_LOG_READ: (_D,),
        AGGREGATE_READ: (_D,),
        REPORT_READ: (_D,),
    },
    Role.DISTRICT_ANALYST: {
        INSTITUTION_READ: (_D,),
        AGGREGATE_READ: (_D,),
    },
    Role.ADMINISTRATOR: {
        INSTITUTION_READ: (_I,),
        PERSON_READ: (_I,),
        PERSONAL_DATA_READ: (_I,),
        PERSON_MANAGE: (_I,),
        ACCESS_MANAGE: (_I,),
        ACCESS_REVIEW: (_I,),
        PD_LOG_READ: (_I,),
    },
    Role.DIRECTOR: {
        INSTITUTION_READ: (_I,),
        PERSON_READ: (_I,),
        PERSONAL_DATA_READ: (_I,),
        ACCESS_REVIEW: (_I,),
        PD_LOG_READ: (_I,),
        JOURNAL_READ: (_I,),
        DIARY_READ: (_I,),
        CURRICULUM_READ: (_I,),
        REPORT_READ: (_I,),
        REPORT_SIGN: (_I,),
    },
    Role.DEPUTY: {
        INSTITUTION_READ: (_I,),
        PERSON_READ: (_I,),
        PERSONAL_DATA_READ: (_I,),
        JOURNAL_READ: (_I,),
        DIARY_READ: (_I,),
        CURRICULUM_READ: (_I,),
        CURRICULUM_MANAGE: (_I,),
        PERIOD_MANAGE: (_I,),
        PLAN_WRITE: (_I,),
        PLAN_APPROVE: (_I,),
        REPORT_READ: (_I,),
    },
    Role.TEACHER: {
        INSTITUTION_READ: (_I,),
        PERSON_READ: (_I,),
        PERSONAL_DATA_READ: (Scope.OWN_GROUPS,),
        JOURNAL_READ: (Scope.OWN_GROUPS, Scope.SUBSTITUTED),
        JOURNAL_WRITE: (Scope.OWN_GROUPS, Scope.SUBSTITUTED),
        JOURNAL_FILL_IN: (_I,),
        DIARY_READ: (Scope.OWN_GROUPS,),
        CURRICULUM_READ: (_I,),
        # A teacher writes the lesson plans of the subjects they teach.
        PLAN_WRITE: (Scope.OWN_GROUPS,),
        REPORT_READ: (Scope.OWN_GROUPS,),
    },
    Role.STUDENT: {
        INSTITUTION_READ: (_I,),
        PERSON_READ: (Scope.SELF,),
        DIARY_READ: (Scope.SELF,),
    },
    Role.GUARDIAN: {
        INSTITUTION_READ: (_I,),
        PERSON_READ: (Scope.SELF, Scope.CHILDREN),
        PERSONAL_DATA_READ: (Scope.SELF,),
        DIARY_READ: (Scope.CHILDREN,),
    },
    Role.INSPECTOR: {action: (Scope.NAMED,) for action in INSPECTABLE},
}


@dataclass(frozen=True)
class Resource:
    """What an action is about, as the service that owns it describes it.

    A resource of no institution (a new institution, district-wide lists, district role
    bindings) is reached by district scopes only.
    """

    institution_id: str = ""
    person_id: str = ""
    teacher_ids: frozenset[str] = frozenset()
    substitute_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Principal:
    """The caller as the policy sees them."""

    person_id: str
    active: bool
    bindings: tuple[RoleBinding, ...]
    children: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Decision:
    """Allowed or not, why, and by which binding."""

    allowed: bool
    reason: str
    binding_id: str = ""


def _reaches(
    scope: Scope, binding: RoleBinding, principal: Principal, action: str, resource: Resource
) -> bool:
    same_institution = bool(resource.institution_id) and (
        resource.institution_id == binding.institution_id
    )
    match scope:
        case Scope.DISTRICT:
            return True
        case Scope.INSTITUTION:
            return same_institution
        case Scope.OWN_GROUPS:
            return same_institution and principal.person_id in resource.teacher_ids
        case Scope.SUBSTITUTED:
            return same_institution and principal.person_id in resource.substitute_ids
        case Scope.SELF:
            return same_institution and resource.person_id == principal.person_id
        case Scope.CHILDREN:
            return same_institution and resource.person_id in principal.children
        case Scope.NAMED:
            return same_institution and action in binding.scope


def decide(principal: Principal, action: str, resource: Resource, *, now: datetime) -> Decision:
    """Allow when an active binding of the caller has a rule reaching the resource."""
    if action not in ACTIONS:
        return Decision(False, f"unknown action {action!r}")
    if not principal.active:
        return Decision(False, "the account is not active")
    for binding in principal.bindings:
        if not binding.active_at(now):
            continue
        for scope in RULES.get(binding.role, {}).get(action, ()):
            if _reaches(scope, binding, principal, action, resource):
                return Decision(True, f"{binding.role.value}: {scope.value}", binding.id)
    return Decision(False, f"no active role allows {action} here")


def roles_allowing(action: str) -> Iterable[tuple[Role, tuple[Scope, ...]]]:
    """Each role with the scopes in which it may take ``action`` (for docs and the UI)."""
    for role, rules in RULES.items():
        if action in rules:
            yield role, rules[action]
