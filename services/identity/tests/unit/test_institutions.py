"""Registering an institution: every wrong field is named at once."""

import pytest

from zhurnal_identity.domain.institutions import Institution, InstitutionKind
from zhurnal_kit.errors import InvalidArgument


def register(**overrides: object) -> Institution:
    fields: dict[str, object] = {
        "code": "school-7",
        "full_name": "МБОУ «СОШ № 7»",
        "short_name": "Школа № 7",
        "kind": InstitutionKind.SCHOOL,
        "time_zone": "Europe/Moscow",
        "address": "",
    }
    return Institution.register(**(fields | overrides))  # type: ignore[arg-type]


def test_a_valid_institution_is_trimmed_and_gets_an_id() -> None:
    item = register(full_name="  МБОУ «СОШ № 7»  ", code=" school-7 ")
    assert item.full_name == "МБОУ «СОШ № 7»"
    assert item.code == "school-7"
    assert len(item.id) == 36


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"code": "School 7"}, ["code"]),
        ({"code": "-school"}, ["code"]),
        ({"code": "a" * 33}, ["code"]),
        ({"full_name": ""}, ["full_name"]),
        ({"short_name": "Ш" * 101}, ["short_name"]),
        ({"kind": None}, ["kind"]),
        ({"time_zone": "Europe/Nowhere"}, ["time_zone"]),
        ({"time_zone": "../../etc/passwd"}, ["time_zone"]),
        ({"address": "д" * 501}, ["address"]),
        ({"code": "", "full_name": " ", "time_zone": ""}, ["code", "full_name", "time_zone"]),
    ],
)
def test_bad_fields_are_all_named(overrides: dict[str, object], fields: list[str]) -> None:
    with pytest.raises(InvalidArgument) as caught:
        register(**overrides)
    assert [v.field for v in caught.value.violations] == fields


def test_names_keep_yo_and_hyphens() -> None:
    item = register(full_name="Школа имени Ё. Ёлкиной-Щукиной")
    assert item.full_name == "Школа имени Ё. Ёлкиной-Щукиной"
