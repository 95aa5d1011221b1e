"""Scales, types and the suggested final mark (R-1.3) without I/O."""

from __future__ import annotations

import pytest

from zhurnal_journal.domain.marking import (
    MarkScale,
    MarkType,
    ScaleKind,
    ScaleValue,
    ScoredMark,
    default_scales,
    scale_for,
    validate_mark_type,
    validate_scale,
    weighted_averages,
)
from zhurnal_kit.errors import InvalidArgument


def test_the_default_scales_are_five_point_pass_fail_and_levels() -> None:
    five, passing, levels = default_scales("I")
    assert five.is_default and [v.value for v in five.values if v.final] == ["5", "4", "3", "2"]
    assert five.value(" 4- ") is not None and five.value("6") is None
    assert passing.value("ЗАЧЁТ") is not None and levels.value("высокий") is not None
    # Stable ids: two first requests of one institution create the same rows.
    assert [s.id for s in default_scales("I")] == [five.id, passing.id, levels.id]
    assert five.id != default_scales("J")[0].id


def test_a_subject_is_marked_on_the_scale_naming_it_else_the_default() -> None:
    five, passing, levels = default_scales("I")
    levels = MarkScale(**{**levels.__dict__, "subject_ids": frozenset({"chess"})})
    assert scale_for([five, passing, levels], "chess") is levels
    assert scale_for([five, passing, levels], "maths") is five


def test_the_weighted_average_counts_weights_and_skips_unscored_marks() -> None:
    averages = weighted_averages(
        [
            ScoredMark("a", 5.0, 1.0),
            ScoredMark("a", 4.0, 2.0),
            ScoredMark("a", None, 3.0),
            ScoredMark("b", 3.0, 1.0),
        ]
    )
    assert averages["a"].value == pytest.approx(4.33) and averages["a"].marks == 2
    assert averages["b"].value == 3.0 and "c" not in averages


@pytest.mark.parametrize(
    ("average", "suggested"), [(4.33, "4"), (4.5, "5"), (4.49, "4"), (2.6, "3"), (1.0, "2")]
)
def test_the_suggestion_is_the_nearest_final_value_ties_going_up(
    average: float, suggested: str
) -> None:
    five = default_scales("I")[0]
    found = five.suggest(average)
    assert found is not None and found.value == suggested


def test_a_scale_and_a_type_are_checked_naming_the_field() -> None:
    bad = MarkScale(
        "",
        "I",
        "",
        "",
        ScaleKind.LEVELS,
        (ScaleValue("a", "a", 1, True), ScaleValue("A", "A", 2, True)),
    )
    with pytest.raises(InvalidArgument) as refused:
        validate_scale(bad)
    assert [v.field for v in refused.value.violations] == [
        "scale.code",
        "scale.name",
        "scale.values[1].value",
    ]
    with pytest.raises(InvalidArgument) as heavy:
        validate_mark_type(MarkType("I", "x", "Зачёт", 11.0))
    assert [v.field for v in heavy.value.violations] == ["type.weight"]
