"""The authorization policy, decided without I/O: every role against every action, at home
and in another institution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zhurnal_identity.domain import policy
from zhurnal_identity.domain.access import Basis, Role, RoleBinding

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOME, OTHER = "inst-home", "inst-other"
ME, CHILD, STRANGER = "p-me", "p-child", "p-stranger"


def principal(
    role: Role,
    *,
    scope: frozenset[str] = frozenset(),
    active: bool = True,
    until: datetime | None = None,
) -> policy.Principal:
    binding = RoleBinding.grant(
        person_id=ME,
        institution_id="" if role.is_district else HOME,
        role=role,
        valid_from=NOW - timedelta(days=1),
        valid_until=until,
        granted_by="t",
        scope=scope,
        basis=Basis("1", NOW.date()),
    )
    return policy.Principal(ME, active, (binding,), frozenset({CHILD}))


def allowed(p: policy.Principal, action: str, resource: policy.Resource) -> bool:
    return policy.decide(p, action, resource, now=NOW).allowed


# District roles span every institution by design; every other role is tried here.
@pytest.mark.parametrize("role", [r for r in Role if not r.is_district])
@pytest.mark.parametrize("action", policy.ACTIONS)
def test_nothing_in_another_institution_for_institution_roles(role: Role, action: str) -> None:
    p = principal(role, scope=policy.INSPECTABLE if role == Role.INSPECTOR else frozenset())
    for resource in (
        policy.Resource(institution_id=OTHER),
        policy.Resource(institution_id=OTHER, person_id=CHILD, teacher_ids=frozenset({ME})),
        policy.Resource(institution_id=OTHER, person_id=ME, substitute_ids=frozenset({ME})),
        policy.Resource(),
    ):
        assert not allowed(p, action, resource), (role, action, resource)


def test_teacher_writes_own_and_substituted_groups_only() -> None:
    p = principal(Role.TEACHER)
    mine = policy.Resource(institution_id=HOME, teacher_ids=frozenset({ME}))
    substituted = policy.Resource(
        institution_id=HOME, teacher_ids=frozenset({"p-x"}), substitute_ids=frozenset({ME})
    )
    colleague = policy.Resource(institution_id=HOME, teacher_ids=frozenset({"p-x"}))
    assert allowed(p, policy.JOURNAL_WRITE, mine)
    assert allowed(p, policy.JOURNAL_WRITE, substituted)
    assert not allowed(p, policy.JOURNAL_WRITE, colleague)
    assert not allowed(p, policy.PERIOD_MANAGE, mine)


def test_deputy_reads_the_whole_institution_but_writes_no_journal() -> None:
    p = principal(Role.DEPUTY)
    anything = policy.Resource(institution_id=HOME, teacher_ids=frozenset({"p-x"}))
    assert allowed(p, policy.JOURNAL_READ, anything)
    assert allowed(p, policy.PERIOD_MANAGE, anything)
    assert not allowed(p, policy.JOURNAL_WRITE, anything)


def test_guardian_reads_linked_children_only() -> None:
    p = principal(Role.GUARDIAN)
    assert allowed(p, policy.DIARY_READ, policy.Resource(institution_id=HOME, person_id=CHILD))
    assert not allowed(
        p, policy.DIARY_READ, policy.Resource(institution_id=HOME, person_id=STRANGER)
    )
    assert not allowed(
        p, policy.PERSONAL_DATA_READ, policy.Resource(institution_id=HOME, person_id=CHILD)
    )


def test_student_reads_self_only() -> None:
    p = principal(Role.STUDENT)
    assert allowed(p, policy.DIARY_READ, policy.Resource(institution_id=HOME, person_id=ME))
    assert not allowed(p, policy.DIARY_READ, policy.Resource(institution_id=HOME, person_id=CHILD))


def test_inspector_reads_what_the_binding_names_until_it_ends() -> None:
    p = principal(
        Role.INSPECTOR, scope=frozenset({policy.JOURNAL_READ}), until=NOW + timedelta(hours=1)
    )
    journal = policy.Resource(institution_id=HOME)
    assert allowed(p, policy.JOURNAL_READ, journal)
    assert not allowed(p, policy.DIARY_READ, journal)
    assert not allowed(p, policy.JOURNAL_WRITE, journal)
    later = policy.decide(p, policy.JOURNAL_READ, journal, now=NOW + timedelta(hours=2))
    assert not later.allowed


def test_district_roles_span_institutions_but_analysts_see_aggregates_only() -> None:
    admin, analyst = principal(Role.DISTRICT_ADMINISTRATOR), principal(Role.DISTRICT_ANALYST)
    anywhere = policy.Resource(institution_id=OTHER)
    assert allowed(admin, policy.INSTITUTION_MANAGE, anywhere)
    assert allowed(analyst, policy.AGGREGATE_READ, anywhere)
    assert not allowed(analyst, policy.JOURNAL_READ, anywhere)
    assert not allowed(analyst, policy.PERSONAL_DATA_READ, anywhere)


def test_inactive_accounts_and_unknown_actions_are_denied() -> None:
    assert not allowed(
        principal(Role.DEPUTY, active=False),
        policy.JOURNAL_READ,
        policy.Resource(institution_id=HOME),
    )
    decision = policy.decide(
        principal(Role.DEPUTY),
        "journal.delete_everything",
        policy.Resource(institution_id=HOME),
        now=NOW,
    )
    assert not decision.allowed
    assert "unknown action" in decision.reason


def test_inspectors_can_never_be_given_writes() -> None:
    assert all(a.endswith(".read") for a in policy.INSPECTABLE)
