"""Russian names: stored as written, sorted as a Russian reader expects, validated clearly."""

from datetime import date

import pytest

from zhurnal_identity.domain.people import FullName, PersonalData, validate_login
from zhurnal_kit.errors import InvalidArgument


def test_names_sort_in_russian_dictionary_order() -> None:
    names = [
        FullName("Яшин", "Лев"),
        FullName("Ёлкина", "Анна"),
        FullName("Елкина", "Анна"),
        FullName("Ежова", "Анна"),
        FullName("Иванова", "Анна"),
        FullName("Иванов", "Пётр"),
        FullName("Иванов", "Петр"),
        FullName("Римский-Корсаков", "Николай", "Андреевич"),
        FullName("Римская", "Анна"),
        FullName("абрамов", "Олег"),
        FullName("Ершов", "Ян"),
    ]
    ordered = [n.display for n in sorted(names, key=lambda n: n.sort_key)]
    assert ordered == [
        "абрамов Олег",
        "Ежова Анна",
        "Елкина Анна",
        "Ёлкина Анна",
        "Ершов Ян",
        "Иванов Петр",
        "Иванов Пётр",
        "Иванова Анна",
        "Римская Анна",
        "Римский-Корсаков Николай Андреевич",
        "Яшин Лев",
    ]


def test_names_keep_yo_hyphens_and_are_normalised() -> None:
    name = FullName.parse("  Щукина-Ёлкина ", "Алёна", "Петровна")
    assert name.display == "Щукина-Ёлкина Алёна Петровна"
    decomposed = "Е\u0308лкин"  # Ё written as Е + combining diaeresis
    assert FullName.parse(decomposed, "Иван").last == "Ёлкин"


@pytest.mark.parametrize(
    ("last", "first", "field"),
    [
        ("", "Иван", "last_name"),
        ("Иванов", "", "first_name"),
        ("Иванов2", "Иван", "last_name"),
        ("Иванов--Петров", "Иван", "last_name"),
        ("И" * 101, "Иван", "last_name"),
    ],
)
def test_bad_names_name_the_field(last: str, first: str, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        FullName.parse(last, first)
    assert [v.field for v in caught.value.violations] == [field]


def test_personal_data_is_checked_field_by_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        PersonalData(date(2100, 1, 1), "not-an-email", "abc", "").validated(today=date(2026, 1, 1))
    assert [v.field for v in caught.value.violations] == [
        "personal_data.birth_date",
        "personal_data.email",
        "personal_data.phone",
    ]
    assert PersonalData(email=" a@b.ru ").validated(today=date(2026, 1, 1)).email == "a@b.ru"


def test_logins() -> None:
    assert validate_login(" Anna.Ivanova ") == "anna.ivanova"
    for bad in ("an", "1anna", "анна", "a b"):
        with pytest.raises(InvalidArgument):
            validate_login(bad)
