"""Period locks (R-6.3): a closed period's entries are read-only; a deputy's unlock with a
written reason opens it for corrections and ends by itself (the monitor announces the end)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from zhurnal.journal.v1 import events_pb2
from zhurnal_journal.adapters import journal_protos as protos
from zhurnal_journal.adapters.marking_repository import Unlock
from zhurnal_journal.domain.history import Change, ChangeAction
from zhurnal_journal.domain.locks import MAX_UNLOCK_HOURS, Period
from zhurnal_journal.service_layer.access import JOURNAL_READ, PERIOD_MANAGE
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import FailedPrecondition, FieldViolation, NotFound, invalid
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import recall, remember

MIN_REASON = 10


@dataclass(frozen=True)
class UnlockPeriod:
    """The deputy's command."""

    period_id: str
    reason: str
    hours: int = 0
    idempotency_key: str = ""
    client: str = ""


async def unlock_period(
    uow: JournalUnitOfWork, authorizer: Authorizer, command: UnlockPeriod, now: datetime
) -> Unlock:
    """Open a closed period for corrections until the unlock ends by itself."""
    if not command.period_id:
        raise invalid("period_id", "is required")
    reason = " ".join(command.reason.split())
    if len(reason) < MIN_REASON:
        raise invalid("reason", f"must say why, in at least {MIN_REASON} characters")
    if not 0 <= command.hours <= MAX_UNLOCK_HOURS:
        raise invalid("hours", f"must be between 1 and {MAX_UNLOCK_HOURS} (0: the default)")
    operation = f"unlock_period:{command.period_id}"
    async with uow:
        found = await uow.lessons.period(command.period_id)
        if found is None:
            raise NotFound(
                f"the journal knows no study period {command.period_id!r}",
                [FieldViolation("period_id", "is not a study period")],
            )
        period, institution_id = found
        await authorizer.require(PERIOD_MANAGE, institution_id=institution_id)
        actor = await authorizer.person_id()
        if earlier := await recall(uow.session, operation, command.idempotency_key):
            unlocks = await uow.marking.unlocks([period.id])
            return next(u for u in unlocks if u.id == earlier.decode())
        if not period.closed:
            raise FailedPrecondition(
                f"period «{period.name}» is not closed",
                [FieldViolation("period_id", "is open: nothing to unlock")],
            )
        settings = await uow.marking.settings(institution_id)
        unlock = Unlock(
            id=str(uuid.uuid4()),
            period_id=period.id,
            institution_id=institution_id,
            reason=reason,
            unlocked_by=actor,
            unlocked_at=now,
            expires_at=now + timedelta(hours=command.hours or settings.unlock_hours),
        )
        await uow.marking.add_unlock(unlock)
        uow.record_history(
            institution_id,
            [
                Change(
                    "period_unlock",
                    unlock.id,
                    ChangeAction.CREATE,
                    None,
                    {k: str(v) for k, v in asdict(unlock).items()},
                )
            ],
            actor_id=actor,
            client=command.client,
            at=now,
        )
        uow.publish(
            Event(
                "period",
                period.id,
                events_pb2.PeriodUnlocked(
                    unlock=protos.unlock_to_proto(unlock), study_year_id=period.study_year_id
                ),
                institution_id=institution_id,
            )
        )
        await remember(uow.session, operation, command.idempotency_key, unlock.id.encode())
        await uow.commit()
    return unlock


@dataclass(frozen=True)
class PeriodLockView:
    """A period with its lock state and unlocks."""

    period: Period
    locked: bool
    unlocks: list[Unlock]


async def list_locks(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    institution_id: str,
    study_year_id: str,
    now: datetime,
) -> list[PeriodLockView]:
    """The institution's periods, which are locked now, and every unlock given."""
    if not institution_id:
        raise invalid("institution_id", "is required")
    await authorizer.require(JOURNAL_READ, institution_id=institution_id)
    async with uow:
        periods = await uow.lessons.periods(institution_id, study_year_id)
        unlocks = await uow.marking.unlocks([p.id for p in periods])
    return [
        PeriodLockView(p, p.locked(now), [u for u in unlocks if u.period_id == p.id])
        for p in periods
    ]
