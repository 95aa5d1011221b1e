"""Translation between the identity domain and its proto contract."""

from datetime import UTC, date, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from zhurnal.identity.v1 import access_pb2, people_pb2
from zhurnal.identity.v1 import identity_pb2 as pb
from zhurnal_identity.domain.access import Basis, Role, RoleBinding
from zhurnal_identity.domain.institutions import Institution, InstitutionKind
from zhurnal_identity.domain.people import AccountStatus, Person, PersonalData, PersonKind
from zhurnal_kit.errors import invalid

KIND_TO_PROTO = {
    InstitutionKind.SCHOOL: pb.INSTITUTION_KIND_SCHOOL,
    InstitutionKind.ADDITIONAL_EDUCATION: pb.INSTITUTION_KIND_ADDITIONAL_EDUCATION,
    InstitutionKind.OTHER: pb.INSTITUTION_KIND_OTHER,
}
KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}


def institution_to_proto(item: Institution) -> pb.Institution:
    """The contract's view of an institution."""
    return pb.Institution(
        id=item.id,
        code=item.code,
        full_name=item.full_name,
        short_name=item.short_name,
        kind=KIND_TO_PROTO[item.kind],
        time_zone=item.time_zone,
        address=item.address,
    )


ROLE_TO_PROTO = {
    Role.ADMINISTRATOR: access_pb2.ROLE_ADMINISTRATOR,
    Role.DIRECTOR: access_pb2.ROLE_DIRECTOR,
    Role.DEPUTY: access_pb2.ROLE_DEPUTY,
    Role.TEACHER: access_pb2.ROLE_TEACHER,
    Role.STUDENT: access_pb2.ROLE_STUDENT,
    Role.GUARDIAN: access_pb2.ROLE_GUARDIAN,
    Role.INSPECTOR: access_pb2.ROLE_INSPECTOR,
    Role.DISTRICT_ADMINISTRATOR: access_pb2.ROLE_DISTRICT_ADMINISTRATOR,
    Role.DISTRICT_ANALYST: access_pb2.ROLE_DISTRICT_ANALYST,
}
ROLE_FROM_PROTO = {v: k for k, v in ROLE_TO_PROTO.items()}

KIND_OF_PERSON_TO_PROTO = {
    PersonKind.STAFF: people_pb2.PERSON_KIND_STAFF,
    PersonKind.STUDENT: people_pb2.PERSON_KIND_STUDENT,
    PersonKind.GUARDIAN: people_pb2.PERSON_KIND_GUARDIAN,
}
KIND_OF_PERSON_FROM_PROTO = {v: k for k, v in KIND_OF_PERSON_TO_PROTO.items()}

STATUS_TO_PROTO = {
    AccountStatus.PENDING: people_pb2.ACCOUNT_STATUS_PENDING,
    AccountStatus.ACTIVE: people_pb2.ACCOUNT_STATUS_ACTIVE,
    AccountStatus.DISABLED: people_pb2.ACCOUNT_STATUS_DISABLED,
    AccountStatus.DELETED: people_pb2.ACCOUNT_STATUS_DELETED,
}


def timestamp(value: datetime | None) -> Timestamp | None:
    """A proto Timestamp (None stays unset)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_timestamp(stamp: Timestamp, present: bool) -> datetime | None:
    """A UTC datetime from a proto Timestamp field that may be unset."""
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def date_to_proto(value: date | None) -> people_pb2.Date | None:
    """A proto Date (None stays unset)."""
    return people_pb2.Date(year=value.year, month=value.month, day=value.day) if value else None


def date_from_proto(value: people_pb2.Date, field: str) -> date | None:
    """A date from a proto Date; all zero means unset; an impossible date names the field."""
    if not (value.year or value.month or value.day):
        return None
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise invalid(field, "is not a valid date") from None


def basis_from_proto(value: access_pb2.Basis) -> Basis:
    """A basis from its proto; its date is ISO (YYYY-MM-DD) or empty."""
    if not value.date:
        return Basis(value.number, None)
    try:
        return Basis(value.number, date.fromisoformat(value.date))
    except ValueError:
        raise invalid("basis.date", "must be a date as YYYY-MM-DD") from None


def binding_to_proto(item: RoleBinding, person_name: str = "") -> access_pb2.RoleBinding:
    """The contract's view of a role binding."""
    return access_pb2.RoleBinding(
        id=item.id,
        person_id=item.person_id,
        institution_id=item.institution_id,
        role=ROLE_TO_PROTO[item.role],
        valid_from=timestamp(item.valid_from),
        valid_until=timestamp(item.valid_until),
        granted_by=item.granted_by,
        basis=access_pb2.Basis(
            number=item.basis.number, date=item.basis.date.isoformat() if item.basis.date else ""
        ),
        scope=sorted(item.scope),
        ended_at=timestamp(item.ended_at),
        end_reason=item.end_reason,
        person_name=person_name,
    )


def personal_data_from_proto(value: people_pb2.PersonalData) -> PersonalData:
    """Personal data from its proto (validated later by the domain)."""
    return PersonalData(
        birth_date=date_from_proto(value.birth_date, "personal_data.birth_date"),
        email=value.email,
        phone=value.phone,
        address=value.address,
    )


def person_to_proto(item: Person, *, with_personal_data: bool = False) -> people_pb2.Person:
    """The contract's view of a person; personal data only when the caller may see it."""
    message = people_pb2.Person(
        id=item.id,
        last_name=item.name.last,
        first_name=item.name.first,
        patronymic=item.name.patronymic,
        kinds=[KIND_OF_PERSON_TO_PROTO[k] for k in sorted(item.kinds)],
        login=item.login,
        account_status=STATUS_TO_PROTO[item.account_status],
        position=item.position,
        employment_start=date_to_proto(item.employment_start),
        employment_end=date_to_proto(item.employment_end),
    )
    if with_personal_data:
        data = item.personal_data
        message.personal_data.CopyFrom(
            people_pb2.PersonalData(
                birth_date=date_to_proto(data.birth_date),
                email=data.email,
                phone=data.phone,
                address=data.address,
            )
        )
    return message
