"""Chaining the staged history (R-1.6, ADR 15): what the chainer does every moment, and what a
reader of the history asks for first so it reads every committed change."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter

from zhurnal_journal.adapters.history_repository import CHAIN_BATCH
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork

CHAINED = Counter(
    "zhurnal_journal_history_chained_total", "History records chained from staged changes"
)


async def chain_institution(uow: Callable[[], JournalUnitOfWork], institution_id: str) -> int:
    """Chain all of one institution's staged changes, a batch a transaction; how many."""
    total = 0
    while True:
        async with uow() as work:
            chained = await work.history.chain_pending(institution_id)
            await work.commit()
        total += chained
        CHAINED.inc(chained)
        if chained < CHAIN_BATCH:
            return total


async def chain_pending(uow: Callable[[], JournalUnitOfWork]) -> int:
    """Chain every institution's staged changes; how many records that made."""
    async with uow() as work:
        institutions = await work.history.pending_institutions()
    total = 0
    for institution_id in institutions:
        total += await chain_institution(uow, institution_id)
    return total
