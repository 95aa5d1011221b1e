"""/api/v1 of study periods and their locks (R-6.3): closing and reopening a period (curriculum)
and a deputy's unlock of a closed one with a written reason, ending by itself (journal).

A closed period's journal entries are read-only; an unlock lets them be corrected for a while
(the institution's unlock_hours unless told) and is kept with its reason and author.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from zhurnal.curriculum.v1 import calendar_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_gateway.api.convert import day, moment
from zhurnal_gateway.api.deps import CurrentCaller, GatewayDep
from zhurnal_gateway.api.problems import error_responses

router = APIRouter(prefix="/api/v1", tags=["periods"])

Id = Annotated[str, Path(min_length=1, max_length=36)]


class StudyPeriod(BaseModel):
    """A study period and whether it is closed."""

    id: str
    name: str
    starts: date | None
    ends: date | None
    closed: bool
    closed_at: datetime | None
    closed_by: str


class Unlock(BaseModel):
    """A deputy's unlock of a closed period: corrections allowed until ``expires_at``."""

    id: str
    period_id: str
    institution_id: str
    reason: str
    unlocked_by: str
    unlocked_at: datetime | None
    expires_at: datetime | None


class PeriodLock(BaseModel):
    """A period with its lock: ``locked`` when closed and no unlock is in force."""

    period: StudyPeriod
    study_year_id: str
    locked: bool
    unlocks: list[Unlock]


class PeriodLocks(BaseModel):
    """The periods of an institution's study year (of every year without one)."""

    items: list[PeriodLock]


class Reopening(BaseModel):
    """Why a closed period is opened again (kept with the event)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=1000)


class UnlockRequest(BaseModel):
    """A correction of a closed period: its written reason and, optionally, how long."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=1000, examples=["Исправление оценки по заявлению"])
    hours: int = Field(default=0, ge=0, le=24 * 14, description="0: the institution's setting")


def _period(item: calendar_pb2.StudyPeriod) -> StudyPeriod:
    return StudyPeriod(
        id=item.id,
        name=item.name,
        starts=day(item.starts),
        ends=day(item.ends),
        closed=item.closed,
        closed_at=moment(item, "closed_at"),
        closed_by=item.closed_by,
    )


def _unlock(item: pb.PeriodUnlock) -> Unlock:
    return Unlock(
        id=item.id,
        period_id=item.period_id,
        institution_id=item.institution_id,
        reason=item.reason,
        unlocked_by=item.unlocked_by,
        unlocked_at=moment(item, "unlocked_at"),
        expires_at=moment(item, "expires_at"),
    )


@router.get(
    "/institutions/{institution_id}/period-locks",
    operation_id="list_period_locks",
    responses=error_responses(401, 403, 422, 503),
)
async def list_period_locks(
    institution_id: Id,
    gateway: GatewayDep,
    caller: CurrentCaller,
    study_year_id: Annotated[str, Query(max_length=36)] = "",
) -> PeriodLocks:
    """The institution's periods, which are locked and the unlocks of each."""
    reply = await gateway.period_locks.ListPeriodLocks(
        pb.ListPeriodLocksRequest(institution_id=institution_id, study_year_id=study_year_id)
    )
    return PeriodLocks(
        items=[
            PeriodLock(
                period=_period(p.period),
                study_year_id=p.study_year_id,
                locked=p.locked,
                unlocks=[_unlock(u) for u in p.unlocks],
            )
            for p in reply.periods
        ]
    )


@router.post(
    "/study-years/{study_year_id}/periods/{period_id}/closing",
    operation_id="close_period",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def close_period(
    study_year_id: Id, period_id: Id, gateway: GatewayDep, caller: CurrentCaller
) -> StudyPeriod:
    """Close a period (the deputy): its journal entries become read-only. Closing a closed
    period changes nothing."""
    reply = await gateway.calendar.ClosePeriod(
        calendar_pb2.ClosePeriodRequest(study_year_id=study_year_id, period_id=period_id)
    )
    return _period(reply.period)


@router.post(
    "/study-years/{study_year_id}/periods/{period_id}/reopening",
    operation_id="reopen_period",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def reopen_period(
    study_year_id: Id, period_id: Id, body: Reopening, gateway: GatewayDep, caller: CurrentCaller
) -> StudyPeriod:
    """Open a closed period again for good, with the reason (the deputy)."""
    reply = await gateway.calendar.OpenPeriod(
        calendar_pb2.OpenPeriodRequest(
            study_year_id=study_year_id, period_id=period_id, reason=body.reason
        )
    )
    return _period(reply.period)


@router.post(
    "/periods/{period_id}/unlocks",
    status_code=201,
    operation_id="unlock_period",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def unlock_period(
    period_id: Id,
    body: UnlockRequest,
    gateway: GatewayDep,
    caller: CurrentCaller,
    idempotency_key: Annotated[str, Header(max_length=255)] = "",
) -> Unlock:
    """Unlock a closed period for corrections (R-6.3): recorded with its reason, it ends by
    itself."""
    reply = await gateway.period_locks.UnlockPeriod(
        pb.UnlockPeriodRequest(
            period_id=period_id,
            reason=body.reason,
            hours=body.hours,
            idempotency_key=idempotency_key,
        )
    )
    return _unlock(reply.unlock)
