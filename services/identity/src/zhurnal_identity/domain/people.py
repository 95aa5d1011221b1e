"""People of the district: names (Russian, stored and sorted correctly) and personal data."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from zhurnal_kit.errors import FieldViolation, InvalidArgument

MAX_NAME = 100
# Letters (Cyrillic or Latin), with single hyphens, apostrophes or spaces inside:
# "Римский-Корсаков", "Д'Артаньян", "Анна Мария".
NAME_PATTERN = re.compile(r"^[^\W\d_]+(?:[-' ][^\W\d_]+)*$")
LOGIN_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{2,59}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()-]{5,20}$")


class PersonKind(StrEnum):
    """What a person is to the district; one person may be several."""

    STAFF = "staff"
    STUDENT = "student"
    GUARDIAN = "guardian"


class AccountStatus(StrEnum):
    """The state of the person's Keycloak account, as identity knows it."""

    PENDING = "pending"
    ACTIVE = "active"
    DISABLED = "disabled"
    DELETED = "deleted"


def normalize_name(value: str) -> str:
    """NFC, trimmed, inner spaces collapsed: 'Ё' stays 'Ё' (never folded to 'Е')."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value)).strip()


def name_sort_key(last: str, first: str, patronymic: str) -> str:
    """The key people are ordered by: surname, name, patronymic, as a Russian reader expects.

    Compared byte-wise (the column is COLLATE "C"). Letters first as a dictionary does: Ё as
    Е, case ignored, a hyphen as a space; only among otherwise equal names does Ё come after Е.
    \x01 separates the parts so that "Иванов" comes before "Иванова".
    """
    parts = [p.casefold().replace("-", " ") for p in (last, first, patronymic)]
    primary = "\x01".join(p.replace("ё", "е") for p in parts)
    return primary + "\x02" + "\x01".join(parts)


@dataclass(frozen=True)
class FullName:
    """Surname, given name and (optional) patronymic."""

    last: str
    first: str
    patronymic: str = ""

    @classmethod
    def parse(cls, last: str, first: str, patronymic: str = "") -> FullName:
        """A validated name, or InvalidArgument naming each bad part."""
        parts = {
            "last_name": normalize_name(last),
            "first_name": normalize_name(first),
            "patronymic": normalize_name(patronymic),
        }
        problems = []
        for name, value in parts.items():
            if not value:
                if name != "patronymic":
                    problems.append(FieldViolation(name, "must not be empty"))
            elif len(value) > MAX_NAME:
                problems.append(FieldViolation(name, f"must be at most {MAX_NAME} characters"))
            elif not NAME_PATTERN.match(value):
                problems.append(
                    FieldViolation(
                        name, "may contain only letters, single hyphens, apostrophes and spaces"
                    )
                )
        if problems:
            raise InvalidArgument("the name is not valid", problems)
        return cls(parts["last_name"], parts["first_name"], parts["patronymic"])

    @property
    def display(self) -> str:
        """'Иванова Анна Сергеевна'."""
        return " ".join(p for p in (self.last, self.first, self.patronymic) if p)

    @property
    def sort_key(self) -> str:
        """See name_sort_key."""
        return name_sort_key(self.last, self.first, self.patronymic)


@dataclass(frozen=True)
class PersonalData:
    """Birth date, contacts and address: personal data under 152-FZ (R-1.6)."""

    birth_date: date | None = None
    email: str = ""
    phone: str = ""
    address: str = ""

    def validated(self, *, today: date, prefix: str = "personal_data.") -> PersonalData:
        """This data, trimmed, or InvalidArgument naming each bad field."""
        email, phone, address = self.email.strip(), self.phone.strip(), self.address.strip()
        problems = []
        if self.birth_date is not None and not (date(1900, 1, 1) <= self.birth_date <= today):
            problems.append(FieldViolation(prefix + "birth_date", "must be a past date"))
        if email and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
            problems.append(FieldViolation(prefix + "email", "must be an e-mail address"))
        if phone and not PHONE_PATTERN.match(phone):
            problems.append(FieldViolation(prefix + "phone", "must be a phone number"))
        if len(address) > 500:
            problems.append(FieldViolation(prefix + "address", "must be at most 500 characters"))
        if problems:
            raise InvalidArgument("the personal data is not valid", problems)
        return replace(self, email=email, phone=phone, address=address)

    @property
    def fields_present(self) -> list[str]:
        """Names of the fields that hold something (what a read discloses)."""
        return [
            name
            for name, value in (
                ("birth_date", self.birth_date),
                ("email", self.email),
                ("phone", self.phone),
                ("address", self.address),
            )
            if value
        ]


def validate_login(login: str, field_name: str = "login") -> str:
    """A Keycloak username: lowercase Latin letters, digits, '.', '_' or '-', 3-60 long."""
    login = login.strip().lower()
    if not LOGIN_PATTERN.match(login):
        raise InvalidArgument(
            "the login is not valid",
            [
                FieldViolation(
                    field_name,
                    "must be 3-60 lowercase Latin letters, digits, '.', '_' or '-', "
                    "starting with a letter",
                )
            ],
        )
    return login


@dataclass
class Person:
    """A person of the district and their account."""

    id: str
    name: FullName
    login: str
    kinds: set[PersonKind]
    personal_data: PersonalData = field(default_factory=PersonalData)
    account_status: AccountStatus = AccountStatus.PENDING
    keycloak_user_id: str = ""
    position: str = ""
    employment_start: date | None = None
    employment_end: date | None = None

    @classmethod
    def new(
        cls,
        *,
        name: FullName,
        login: str,
        kind: PersonKind,
        personal_data: PersonalData | None = None,
    ) -> Person:
        """A person whose account is still to be created (PENDING)."""
        return cls(
            id=str(uuid.uuid4()),
            name=name,
            login=login,
            kinds={kind},
            personal_data=personal_data or PersonalData(),
        )

    @property
    def active(self) -> bool:
        """The account works and the person is not dismissed."""
        return self.account_status == AccountStatus.ACTIVE
