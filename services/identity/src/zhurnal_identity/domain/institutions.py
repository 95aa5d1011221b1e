"""Institutions of the district: the tenant boundary of everything else."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from dataclasses import dataclass
from enum import StrEnum

from zhurnal_kit.errors import FieldViolation, InvalidArgument

CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
MAX_FULL_NAME = 500
MAX_SHORT_NAME = 100
MAX_ADDRESS = 500


class InstitutionKind(StrEnum):
    """School, institution of additional education, or other."""

    SCHOOL = "school"
    ADDITIONAL_EDUCATION = "additional_education"
    OTHER = "other"


@dataclass(frozen=True)
class Institution:
    """A school or centre of the district."""

    id: str
    code: str
    full_name: str
    short_name: str
    kind: InstitutionKind
    time_zone: str
    address: str = ""

    @classmethod
    def register(
        cls,
        *,
        code: str,
        full_name: str,
        short_name: str,
        kind: InstitutionKind | None,
        time_zone: str,
        address: str = "",
    ) -> Institution:
        """A new institution, or InvalidArgument naming every field that is wrong."""
        code, full_name, short_name = code.strip(), full_name.strip(), short_name.strip()
        time_zone, address = time_zone.strip(), address.strip()
        problems: list[FieldViolation] = []
        if not CODE_PATTERN.match(code):
            problems.append(
                FieldViolation(
                    "code",
                    "must be 1-32 lowercase Latin letters, digits or hyphens, "
                    "not starting or ending with a hyphen",
                )
            )
        _require_text(problems, "full_name", full_name, MAX_FULL_NAME)
        _require_text(problems, "short_name", short_name, MAX_SHORT_NAME)
        if len(address) > MAX_ADDRESS:
            problems.append(FieldViolation("address", f"must be at most {MAX_ADDRESS} characters"))
        if kind is None:
            problems.append(
                FieldViolation(
                    "kind", "must be one of: " + ", ".join(k.value for k in InstitutionKind)
                )
            )
        if not _is_time_zone(time_zone):
            problems.append(
                FieldViolation("time_zone", "must be an IANA time zone such as Europe/Moscow")
            )
        if problems:
            raise InvalidArgument("the institution is not valid", problems)
        assert kind is not None
        return cls(
            id=str(uuid.uuid4()),
            code=code,
            full_name=full_name,
            short_name=short_name,
            kind=kind,
            time_zone=time_zone,
            address=address,
        )


def _require_text(problems: list[FieldViolation], name: str, value: str, limit: int) -> None:
    if not value:
        problems.append(FieldViolation(name, "must not be empty"))
    elif len(value) > limit:
        problems.append(FieldViolation(name, f"must be at most {limit} characters"))


def _is_time_zone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
