"""Groups and enrolment, with history kept."""

from datetime import date

import pytest

from zhurnal_curriculum.domain.groups import Group, GroupKind, enrol, leave, roster, transfer
from zhurnal_kit.errors import FailedPrecondition, InvalidArgument


def group(
    name: str = "7А", kind: GroupKind = GroupKind.CLASS, years: frozenset[int] = frozenset({7})
) -> Group:
    return Group.create(
        institution_id="i",
        study_year_id="y",
        name=name,
        kind=kind,
        years_of_study=years,
        starts=date(2026, 9, 1),
    )


def test_associations_mix_years_and_classes_do_not() -> None:
    robots = group("Робототехника", GroupKind.ASSOCIATION, frozenset({1, 2, 3}))
    assert robots.years_of_study == {1, 2, 3}
    with pytest.raises(InvalidArgument) as caught:
        group("7А", GroupKind.CLASS, frozenset({7, 8}))
    assert caught.value.violations[0].field == "years_of_study"


def test_enrolment_before_the_group_exists_is_refused_naming_the_date() -> None:
    with pytest.raises(InvalidArgument) as caught:
        enrol(group(), "s1", joined=date(2026, 8, 20), reason="приказ 1", current=[])
    assert caught.value.violations[0].field == "joined"
    assert "2026-09-01" in caught.value.violations[0].description


def test_a_student_in_several_groups_and_the_roster_of_a_date() -> None:
    a, robots = group(), group("Робототехника", GroupKind.ASSOCIATION, frozenset({5, 6, 7}))
    one = enrol(a, "s1", joined=date(2026, 9, 1), reason="приказ 1", current=[])
    two = enrol(robots, "s1", joined=date(2026, 9, 10), reason="заявление", current=[one])
    assert roster([one, two], robots.id, date(2026, 9, 9)) == []
    assert roster([one, two], robots.id, date(2026, 9, 10)) == ["s1"]
    with pytest.raises(FailedPrecondition):
        enrol(a, "s1", joined=date(2026, 10, 1), reason="ещё раз", current=[one, two])


def test_transfer_keeps_history() -> None:
    a, b = group("7А"), group("7Б")
    first = enrol(a, "s1", joined=date(2026, 9, 1), reason="приказ 1", current=[])
    ended, moved = transfer(first, b, on=date(2026, 11, 9), reason="приказ 45", current=[first])
    assert ended.left == date(2026, 11, 8)
    assert ended.leave_reason == "приказ 45"
    assert moved.joined == date(2026, 11, 9)
    history = [ended, moved]
    assert roster(history, a.id, date(2026, 11, 8)) == ["s1"]
    assert roster(history, a.id, date(2026, 11, 9)) == []
    assert roster(history, b.id, date(2026, 11, 9)) == ["s1"]


def test_leaving_needs_a_reason_and_a_date_after_joining() -> None:
    first = enrol(group(), "s1", joined=date(2026, 9, 1), reason="приказ 1", current=[])
    with pytest.raises(InvalidArgument):
        leave(first, left=date(2026, 10, 1), reason=" ")
    with pytest.raises(InvalidArgument):
        leave(first, left=date(2026, 8, 1), reason="приказ 2")
    gone = leave(first, left=date(2026, 10, 1), reason="приказ 2")
    with pytest.raises(FailedPrecondition):
        leave(gone, left=date(2026, 10, 2), reason="приказ 3")
