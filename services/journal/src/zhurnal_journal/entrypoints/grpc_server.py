"""The journal gRPC server (thin)."""

from __future__ import annotations

from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal.journal.v1 import journal_pb2_grpc
from zhurnal_journal.bootstrap import bootstrap
from zhurnal_journal.config import JournalSettings
from zhurnal_journal.entrypoints.history_servicer import HistoryServicer
from zhurnal_journal.entrypoints.journal_servicer import JournalServicer
from zhurnal_journal.entrypoints.marking_servicer import MarkingServicer, PeriodLockServicer
from zhurnal_kit import runtime


async def serve(settings: JournalSettings) -> None:
    """Migrate, then serve until signalled."""
    app = bootstrap(settings)
    await runtime.serve_grpc(
        settings,
        "zhurnal_journal",
        registrars=[
            lambda s: journal_pb2_grpc.add_JournalServiceServicer_to_server(
                JournalServicer(app), s
            ),
            lambda s: journal_pb2_grpc.add_MarkingServiceServicer_to_server(
                MarkingServicer(app), s
            ),
            lambda s: journal_pb2_grpc.add_PeriodLockServiceServicer_to_server(
                PeriodLockServicer(app), s
            ),
            lambda s: journal_pb2_grpc.add_HistoryServiceServicer_to_server(
                HistoryServicer(app), s
            ),
        ],
        service_names=[
            pb.DESCRIPTOR.services_by_name[name].full_name
            for name in ("JournalService", "MarkingService", "PeriodLockService", "HistoryService")
        ],
        verifier=app.verifier,
        on_close=app.close,
    )


def main() -> None:
    """Entry point: ``python -m zhurnal_journal.entrypoints.grpc_server``."""
    settings = JournalSettings()
    runtime.run(lambda: serve(settings), settings)


if __name__ == "__main__":
    main()
