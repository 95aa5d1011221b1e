"""Repositories over the identity tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_identity.adapters.tables import (
    guardian_link,
    institution,
    person,
    personal_data_access,
    role_binding,
    sync_cursor,
)
from zhurnal_identity.domain.access import STAFF_ROLES, Basis, Role, RoleBinding
from zhurnal_identity.domain.institutions import Institution, InstitutionKind
from zhurnal_identity.domain.people import (
    AccountStatus,
    FullName,
    Person,
    PersonalData,
    PersonKind,
)


def _institution(row: Any) -> Institution:
    return Institution(
        id=row.id,
        code=row.code,
        full_name=row.full_name,
        short_name=row.short_name,
        kind=InstitutionKind(row.kind),
        time_zone=row.time_zone,
        address=row.address,
    )


class InstitutionRepository:
    """Institutions in the identity database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, item: Institution) -> None:
        """Stage a new institution."""
        await self._session.execute(
            institution.insert().values(
                id=item.id,
                code=item.code,
                full_name=item.full_name,
                short_name=item.short_name,
                kind=item.kind,
                time_zone=item.time_zone,
                address=item.address,
            )
        )

    async def get(self, institution_id: str) -> Institution | None:
        """One institution by id."""
        row = (
            await self._session.execute(
                select(institution).where(institution.c.id == institution_id)
            )
        ).first()
        return _institution(row) if row else None

    async def code_taken(self, code: str) -> bool:
        """True when another institution has ``code``."""
        found = await self._session.scalar(
            select(institution.c.id).where(institution.c.code == code)
        )
        return found is not None

    async def exists(self, institution_id: str) -> bool:
        """True when the institution is registered."""
        return await self.get(institution_id) is not None

    async def list_after(
        self, after_code: str, limit: int, *, only: list[str] | None = None
    ) -> list[Institution]:
        """Institutions ordered by code, after ``after_code`` (keyset pagination)."""
        query = select(institution).where(institution.c.code > after_code)
        if only is not None:
            query = query.where(institution.c.id.in_(only))
        rows = (await self._session.execute(query.order_by(institution.c.code).limit(limit))).all()
        return [_institution(r) for r in rows]


def _person(row: Any) -> Person:
    return Person(
        id=row.id,
        name=FullName(row.last_name, row.first_name, row.patronymic),
        login=row.login,
        kinds={PersonKind(k) for k in row.kinds},
        personal_data=PersonalData(row.birth_date, row.email, row.phone, row.address),
        account_status=AccountStatus(row.account_status),
        keycloak_user_id=row.keycloak_user_id or "",
        position=row.position,
        employment_start=row.employment_start,
        employment_end=row.employment_end,
    )


def _person_values(item: Person) -> dict[str, Any]:
    return {
        "last_name": item.name.last,
        "first_name": item.name.first,
        "patronymic": item.name.patronymic,
        "sort_key": item.name.sort_key,
        "login": item.login,
        "kinds": sorted(k.value for k in item.kinds),
        "birth_date": item.personal_data.birth_date,
        "email": item.personal_data.email,
        "phone": item.personal_data.phone,
        "address": item.personal_data.address,
        "account_status": item.account_status.value,
        "keycloak_user_id": item.keycloak_user_id or None,
        "position": item.position,
        "employment_start": item.employment_start,
        "employment_end": item.employment_end,
    }


class PersonRepository:
    """People in the identity database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, item: Person) -> None:
        """Stage a new person."""
        await self._session.execute(person.insert().values(id=item.id, **_person_values(item)))

    async def add_many(self, items: list[Person]) -> None:
        """Stage many new people in one statement (imports)."""
        if items:
            await self._session.execute(
                person.insert(), [{"id": i.id, **_person_values(i)} for i in items]
            )

    async def save(self, item: Person) -> None:
        """Write back a changed person."""
        await self._session.execute(
            person.update()
            .where(person.c.id == item.id)
            .values(**_person_values(item), updated_at=func.now())
        )

    async def delete(self, person_id: str) -> None:
        """Remove a person whose hire was compensated (never a real person's record)."""
        await self._session.execute(
            role_binding.delete().where(role_binding.c.person_id == person_id)
        )
        await self._session.execute(
            guardian_link.delete().where(
                or_(
                    guardian_link.c.guardian_id == person_id,
                    guardian_link.c.student_id == person_id,
                )
            )
        )
        await self._session.execute(person.delete().where(person.c.id == person_id))

    async def get(self, person_id: str) -> Person | None:
        """One person by id."""
        row = (await self._session.execute(select(person).where(person.c.id == person_id))).first()
        return _person(row) if row else None

    async def get_many(self, ids: list[str]) -> list[Person]:
        """People by ids (unknown ids are left out)."""
        rows = (await self._session.execute(select(person).where(person.c.id.in_(ids)))).all()
        return [_person(r) for r in rows]

    async def by_login(self, login: str) -> Person | None:
        """One person by login."""
        row = (await self._session.execute(select(person).where(person.c.login == login))).first()
        return _person(row) if row else None

    async def logins_taken(self, logins: list[str]) -> set[str]:
        """Which of ``logins`` already belong to someone."""
        rows = await self._session.scalars(select(person.c.login).where(person.c.login.in_(logins)))
        return set(rows)

    async def by_logins(self, logins: list[str]) -> list[Person]:
        """People by logins."""
        rows = (await self._session.execute(select(person).where(person.c.login.in_(logins)))).all()
        return [_person(r) for r in rows]

    async def by_keycloak_id(self, user_id: str) -> Person | None:
        """The person owning a Keycloak user."""
        row = (
            await self._session.execute(select(person).where(person.c.keycloak_user_id == user_id))
        ).first()
        return _person(row) if row else None

    async def pending_before(self, moment: datetime) -> list[Person]:
        """People whose account creation started before ``moment`` and never finished."""
        rows = (
            await self._session.execute(
                select(person).where(
                    person.c.account_status == AccountStatus.PENDING.value,
                    person.c.updated_at < moment,
                )
            )
        ).all()
        return [_person(r) for r in rows]

    async def with_accounts(self) -> list[Person]:
        """Everyone with a Keycloak account (full reconciliation)."""
        rows = (
            await self._session.execute(
                select(person).where(person.c.keycloak_user_id.is_not(None))
            )
        ).all()
        return [_person(r) for r in rows]

    async def in_institution(
        self, institution_id: str, kind: PersonKind | None, *, after: str, limit: int, now: datetime
    ) -> list[Person]:
        """People with an active binding in an institution, in Russian alphabetical order."""
        roles = KIND_ROLES[kind] if kind else [r.value for r in Role]
        active = select(role_binding.c.person_id).where(
            role_binding.c.institution_id == institution_id,
            role_binding.c.role.in_(roles),
            role_binding.c.ended_at.is_(None),
            role_binding.c.valid_from <= now,
            or_(role_binding.c.valid_until.is_(None), role_binding.c.valid_until > now),
        )
        query = (
            select(person)
            .where(person.c.id.in_(active), tuple_(person.c.sort_key, person.c.id) > tuple_(*after))
            .order_by(person.c.sort_key, person.c.id)
            .limit(limit)
        )
        return [_person(r) for r in (await self._session.execute(query)).all()]


KIND_ROLES: dict[PersonKind, list[str]] = {
    PersonKind.STAFF: [r.value for r in STAFF_ROLES],
    PersonKind.STUDENT: [Role.STUDENT.value],
    PersonKind.GUARDIAN: [Role.GUARDIAN.value],
}


def _binding(row: Any) -> RoleBinding:
    return RoleBinding(
        id=row.id,
        person_id=row.person_id,
        institution_id=row.institution_id or "",
        role=Role(row.role),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        granted_by=row.granted_by,
        basis=Basis(row.basis_number, row.basis_date),
        scope=frozenset(row.scope or ()),
        ended_at=row.ended_at,
        end_reason=row.end_reason,
    )


def _binding_values(item: RoleBinding) -> dict[str, Any]:
    return {
        "id": item.id,
        "person_id": item.person_id,
        "institution_id": item.institution_id or None,
        "role": item.role.value,
        "valid_from": item.valid_from,
        "valid_until": item.valid_until,
        "granted_by": item.granted_by,
        "basis_number": item.basis.number,
        "basis_date": item.basis.date,
        "scope": sorted(item.scope),
        "ended_at": item.ended_at,
        "end_reason": item.end_reason,
    }


class BindingRepository:
    """Role bindings in the identity database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, item: RoleBinding) -> None:
        """Stage a new binding."""
        await self._session.execute(role_binding.insert().values(**_binding_values(item)))

    async def add_many(self, items: list[RoleBinding]) -> None:
        """Stage many bindings in one statement (imports)."""
        if items:
            await self._session.execute(role_binding.insert(), [_binding_values(i) for i in items])

    async def get(self, binding_id: str) -> RoleBinding | None:
        """One binding by id."""
        row = (
            await self._session.execute(select(role_binding).where(role_binding.c.id == binding_id))
        ).first()
        return _binding(row) if row else None

    async def save(self, item: RoleBinding) -> None:
        """Write back an ended binding."""
        await self._session.execute(
            role_binding.update()
            .where(role_binding.c.id == item.id)
            .values(ended_at=item.ended_at, end_reason=item.end_reason)
        )

    async def open_for_person(self, person_id: str) -> list[RoleBinding]:
        """The person's bindings that have not been ended (some may start later or be past)."""
        rows = (
            await self._session.execute(
                select(role_binding)
                .where(role_binding.c.person_id == person_id, role_binding.c.ended_at.is_(None))
                .order_by(role_binding.c.valid_from)
            )
        ).all()
        return [_binding(r) for r in rows]

    async def active_in_institution(
        self, institution_id: str, now: datetime
    ) -> list[tuple[RoleBinding, str]]:
        """Bindings in force in an institution, with the person's display name."""
        rows = (
            await self._session.execute(
                select(role_binding, person.c.last_name, person.c.first_name, person.c.patronymic)
                .join(person, person.c.id == role_binding.c.person_id)
                .where(
                    role_binding.c.institution_id == institution_id,
                    role_binding.c.ended_at.is_(None),
                    role_binding.c.valid_from <= now,
                    or_(role_binding.c.valid_until.is_(None), role_binding.c.valid_until > now),
                )
                .order_by(person.c.sort_key, role_binding.c.role)
            )
        ).all()
        return [
            (_binding(r), FullName(r.last_name, r.first_name, r.patronymic).display) for r in rows
        ]

    async def due(self, now: datetime) -> list[RoleBinding]:
        """Open bindings whose end has come (the expiry job ends them)."""
        rows = (
            await self._session.execute(
                select(role_binding)
                .where(
                    role_binding.c.ended_at.is_(None),
                    role_binding.c.valid_until.is_not(None),
                    role_binding.c.valid_until <= now,
                )
                .with_for_update(skip_locked=True)
            )
        ).all()
        return [_binding(r) for r in rows]


class GuardianLinkRepository:
    """Which guardian may read which student's diary."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, guardian_id: str, student_id: str) -> None:
        """Link them (no error when already linked)."""
        await self._session.execute(
            pg_insert(guardian_link)
            .values(guardian_id=guardian_id, student_id=student_id)
            .on_conflict_do_nothing()
        )

    async def add_many(self, pairs: list[tuple[str, str]]) -> None:
        """Link many pairs (imports)."""
        if pairs:
            await self._session.execute(
                pg_insert(guardian_link).on_conflict_do_nothing(),
                [{"guardian_id": g, "student_id": s} for g, s in pairs],
            )

    async def children_of(self, guardian_id: str) -> list[str]:
        """The students a guardian is linked to."""
        rows = await self._session.scalars(
            select(guardian_link.c.student_id).where(guardian_link.c.guardian_id == guardian_id)
        )
        return list(rows)


class PersonalDataLog:
    """The log of personal-data reads (R-1.6, 152-FZ); append-only from the service."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        reader_id: str,
        subject_id: str,
        institution_id: str,
        purpose: str,
        fields: list[str],
    ) -> None:
        """Append one read."""
        await self._session.execute(
            personal_data_access.insert().values(
                reader_id=reader_id,
                subject_id=subject_id,
                institution_id=institution_id or None,
                purpose=purpose,
                fields=fields,
            )
        )

    async def entries(
        self, *, institution_id: str, subject_id: str, before_id: int, limit: int
    ) -> list[Any]:
        """Newest first, with reader and subject names."""
        reader = person.alias("reader")
        query = (
            select(
                personal_data_access,
                reader.c.last_name.label("reader_last"),
                reader.c.first_name.label("reader_first"),
                reader.c.patronymic.label("reader_patronymic"),
                person.c.last_name,
                person.c.first_name,
                person.c.patronymic,
            )
            .join(person, person.c.id == personal_data_access.c.subject_id)
            .outerjoin(reader, reader.c.id == personal_data_access.c.reader_id)
            .where(personal_data_access.c.id < before_id)
            .order_by(personal_data_access.c.id.desc())
            .limit(limit)
        )
        if institution_id:
            query = query.where(personal_data_access.c.institution_id == institution_id)
        if subject_id:
            query = query.where(personal_data_access.c.subject_id == subject_id)
        return list((await self._session.execute(query)).all())


class SyncCursors:
    """Named positions of background synchronisations."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, name: str, default: int) -> int:
        """The cursor's value (``default`` when unset)."""
        value = await self._session.scalar(
            select(sync_cursor.c.value).where(sync_cursor.c.name == name)
        )
        return int(value) if value is not None else default

    async def set(self, name: str, value: int) -> None:
        """Move the cursor."""
        statement = pg_insert(sync_cursor).values(name=name, value=value)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[sync_cursor.c.name], set_={"value": statement.excluded.value}
            )
        )
