"""Mark scales and types, the journal's settings of an institution, final marks and period
unlocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_journal.adapters.tables import (
    final_mark,
    institution,
    mark_scale,
    mark_type,
    period_unlock,
)
from zhurnal_journal.domain.deadlines import DEFAULT_TIME_ZONE
from zhurnal_journal.domain.marking import (
    MarkingScheme,
    MarkScale,
    MarkType,
    ScaleKind,
    ScaleValue,
    default_mark_types,
    default_scales,
)
from zhurnal_kit.sql import Prepared


@dataclass(frozen=True)
class InstitutionSettings:
    """The journal's settings of one institution (the deputy's)."""

    institution_id: str
    time_zone: str
    colleagues_may_fill_in: bool
    warn_topic_not_in_russian: bool
    unlock_hours: int


@dataclass(frozen=True)
class FinalMarkRow:
    """A stored final mark."""

    id: str
    institution_id: str
    group_id: str
    subject_id: str
    student_id: str
    study_year_id: str
    period_id: str
    value: str
    scale_id: str
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class Unlock:
    """A deputy's unlock of a closed period."""

    id: str
    period_id: str
    institution_id: str
    reason: str
    unlocked_by: str
    unlocked_at: datetime
    expires_at: datetime


def _scale(row: RowMapping) -> MarkScale:
    return MarkScale(
        id=row["id"],
        institution_id=row["institution_id"],
        code=row["code"],
        name=row["name"],
        kind=ScaleKind(row["kind"]),
        values=tuple(ScaleValue(**v) for v in row["values"]),
        subject_ids=frozenset(row["subject_ids"]),
        is_default=row["is_default"],
    )


def _scale_values(scale: MarkScale) -> dict[str, Any]:
    return {
        "id": scale.id,
        "institution_id": scale.institution_id,
        "code": scale.code,
        "name": scale.name,
        "kind": int(scale.kind),
        "values": [
            {
                "value": v.value,
                "label": v.label,
                "score": v.score,
                "passing": v.passing,
                "final": v.final,
            }
            for v in scale.values
        ],
        "subject_ids": sorted(scale.subject_ids),
        "is_default": scale.is_default,
    }


_SETTINGS = Prepared(select(institution).where(institution.c.id == bindparam("institution_id")))
_SCALES = Prepared(
    select(mark_scale)
    .where(mark_scale.c.institution_id == bindparam("institution_id"))
    .order_by(mark_scale.c.is_default.desc(), mark_scale.c.code)
)
_SCALES_BY_ID = Prepared(
    select(mark_scale).where(mark_scale.c.id == func.any(bindparam("ids", type_=ARRAY(String))))
)
_TYPES = Prepared(
    select(mark_type)
    .where(mark_type.c.institution_id == bindparam("institution_id"))
    .order_by(mark_type.c.position, mark_type.c.code)
)


def settings_from_row(institution_id: str, row: Any) -> InstitutionSettings:
    """The settings in an institution row (defaults while identity's event has not arrived)."""
    if row is None:
        return InstitutionSettings(institution_id, DEFAULT_TIME_ZONE, False, True, 48)
    return InstitutionSettings(
        institution_id,
        row["time_zone"],
        row["colleagues_may_fill_in"],
        row["warn_topic_not_in_russian"],
        row["unlock_hours"],
    )


class MarkingRepository:
    """The marking scheme and settings of institutions on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def settings(self, institution_id: str) -> InstitutionSettings:
        """The institution's settings (defaults while identity's event has not arrived)."""
        row = await _SETTINGS.fetchrow(self.session, institution_id=institution_id)
        return settings_from_row(institution_id, row)

    async def save_settings(self, item: InstitutionSettings) -> None:
        """Store the deputy's settings (the time zone stays identity's)."""
        values = {
            "colleagues_may_fill_in": item.colleagues_may_fill_in,
            "warn_topic_not_in_russian": item.warn_topic_not_in_russian,
            "unlock_hours": item.unlock_hours,
        }
        statement = insert(institution).values(id=item.institution_id, **values)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=[institution.c.id], set_=values)
        )

    async def ensure_defaults(self, institution_id: str) -> None:
        """Give an institution the default scales and types the first time it needs them."""
        await self.session.execute(
            insert(mark_scale)
            .values([_scale_values(s) for s in default_scales(institution_id)])
            .on_conflict_do_nothing()
        )
        await self.session.execute(
            insert(mark_type)
            .values(
                [
                    {
                        "institution_id": t.institution_id,
                        "code": t.code,
                        "name": t.name,
                        "weight": t.weight,
                        "position": t.position,
                    }
                    for t in default_mark_types(institution_id)
                ]
            )
            .on_conflict_do_nothing()
        )

    async def scheme(self, institution_id: str) -> MarkingScheme:
        """The institution's scales and types (the defaults created on first use)."""
        scales = await self.scales(institution_id)
        if not scales:
            await self.ensure_defaults(institution_id)
            scales = await self.scales(institution_id)
        return MarkingScheme(scales, await self.types(institution_id))

    async def scales(self, institution_id: str) -> list[MarkScale]:
        """The institution's scales, the default first."""
        return [_scale(r) for r in await _SCALES.fetch(self.session, institution_id=institution_id)]

    async def scales_by_id(self, ids: Sequence[str]) -> list[MarkScale]:
        """Scales by id."""
        if not ids:
            return []
        return [_scale(r) for r in await _SCALES_BY_ID.fetch(self.session, ids=list(ids))]

    async def save_scale(self, scale: MarkScale) -> None:
        """Insert or replace a scale; a new default scale ends the old one's being default."""
        if scale.is_default:
            await self.session.execute(
                mark_scale.update()
                .where(
                    mark_scale.c.institution_id == scale.institution_id, mark_scale.c.id != scale.id
                )
                .values(is_default=False)
            )
        values = _scale_values(scale)
        statement = insert(mark_scale).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[mark_scale.c.id],
                set_={k: v for k, v in values.items() if k not in ("id", "institution_id")},
            )
        )

    async def types(self, institution_id: str) -> list[MarkType]:
        """The institution's mark types in their order."""
        return [
            MarkType(
                r["institution_id"], r["code"], r["name"], r["weight"], r["position"], r["archived"]
            )
            for r in await _TYPES.fetch(self.session, institution_id=institution_id)
        ]

    async def save_type(self, item: MarkType) -> None:
        """Insert or replace a mark type (new ones go last)."""
        position = item.position
        if not position:
            last = await self.session.scalar(
                select(mark_type.c.position)
                .where(mark_type.c.institution_id == item.institution_id)
                .order_by(mark_type.c.position.desc())
                .limit(1)
            )
            position = (last or 0) + 1
        values = {
            "institution_id": item.institution_id,
            "code": item.code,
            "name": item.name,
            "weight": item.weight,
            "position": position,
            "archived": item.archived,
        }
        statement = insert(mark_type).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[mark_type.c.institution_id, mark_type.c.code],
                set_={"name": item.name, "weight": item.weight, "archived": item.archived},
            )
        )

    async def final_marks(
        self,
        *,
        group_id: str = "",
        subject_id: str = "",
        student_id: str = "",
        study_year_id: str = "",
        period_id: str | None = None,
    ) -> list[FinalMarkRow]:
        """Final marks matching the filter."""
        query = select(final_mark)
        for column, value in (
            (final_mark.c.group_id, group_id),
            (final_mark.c.subject_id, subject_id),
            (final_mark.c.student_id, student_id),
            (final_mark.c.study_year_id, study_year_id),
        ):
            if value:
                query = query.where(column == value)
        if period_id is not None:
            query = query.where(final_mark.c.period_id == period_id)
        rows = await self.session.execute(
            query.order_by(
                final_mark.c.study_year_id, final_mark.c.period_id, final_mark.c.student_id
            )
        )
        return [FinalMarkRow(**r) for r in rows.mappings()]

    async def put_final_mark(self, item: FinalMarkRow) -> None:
        """Insert or change a final mark (one per student, group, subject and period)."""
        values = item.__dict__
        statement = insert(final_mark).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    final_mark.c.group_id,
                    final_mark.c.subject_id,
                    final_mark.c.study_year_id,
                    final_mark.c.period_id,
                    final_mark.c.student_id,
                ],
                set_={
                    "value": item.value,
                    "scale_id": item.scale_id,
                    "set_by": item.set_by,
                    "set_at": item.set_at,
                },
            )
        )

    async def remove_final_mark(self, mark_id: str) -> None:
        """Take a final mark back."""
        await self.session.execute(final_mark.delete().where(final_mark.c.id == mark_id))

    async def add_unlock(self, item: Unlock) -> None:
        """Record a deputy's unlock."""
        await self.session.execute(period_unlock.insert().values(**item.__dict__))

    async def unlocks(self, period_ids: Sequence[str]) -> list[Unlock]:
        """Unlocks of the periods, newest first."""
        if not period_ids:
            return []
        rows = await self.session.execute(
            select(period_unlock)
            .where(period_unlock.c.period_id.in_(period_ids))
            .order_by(period_unlock.c.unlocked_at.desc())
        )
        return [
            Unlock(
                r["id"],
                r["period_id"],
                r["institution_id"],
                r["reason"],
                r["unlocked_by"],
                r["unlocked_at"],
                r["expires_at"],
            )
            for r in rows.mappings()
        ]
