"""Operator commands of the journal service.

``python -m zhurnal_journal.entrypoints.cli verify-history [--institution ID]`` walks the hash
chain of one institution's history, or of every institution's, and prints a line per
institution: intact with its number of records, or the first broken record and what is wrong
with it. The exit status is 1 when any chain is broken, so a scheduled job can alert on it.
It only reads: the service's own role or the owner's will do (ZHURNAL_JOURNAL_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from zhurnal_journal.adapters.history_repository import HistoryRepository
from zhurnal_journal.config import JournalSettings
from zhurnal_kit.db import make_engine, make_session_factory
from zhurnal_kit.logging import configure_logging


async def verify_history(settings: JournalSettings, institution_id: str = "") -> bool:
    """Print the state of each chain; whether all of them are intact."""
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    intact = True
    try:
        async with sessions() as session:
            institutions = (
                [institution_id]
                if institution_id
                else await HistoryRepository(session).institutions()
            )
        if not institutions:
            print("no history yet")
        for institution in institutions:
            # A session per institution: a long walk must not hold one snapshot for them all.
            async with sessions() as session:
                result = await HistoryRepository(session).verify(institution)
            if result.intact:
                print(f"{institution}: intact, {result.records} records")
            else:
                intact = False
                print(
                    f"{institution}: BROKEN at record {result.first_broken_seq}: "
                    f"{result.problem} ({result.records} records before it hold)"
                )
            sys.stdout.flush()
    finally:
        await engine.dispose()
    return intact


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="zhurnal-journal")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify-history", help="prove the history chains intact or name the first broken record"
    )
    verify.add_argument(
        "--institution", default="", help="the institution's id (all institutions when omitted)"
    )
    args = parser.parse_args()
    settings = JournalSettings()
    configure_logging(settings.service_name, "WARNING")
    if not asyncio.run(verify_history(settings, args.institution)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
