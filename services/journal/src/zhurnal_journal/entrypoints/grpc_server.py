"""The journal gRPC server: health and reflection until its use cases arrive."""

from __future__ import annotations

from zhurnal_journal.bootstrap import bootstrap
from zhurnal_journal.config import JournalSettings
from zhurnal_kit import runtime


async def serve(settings: JournalSettings) -> None:
    """Migrate, then serve until signalled."""
    app = bootstrap(settings)
    await runtime.serve_grpc(
        settings,
        "zhurnal_journal",
        registrars=[],
        service_names=[],
        verifier=app.verifier,
        on_close=app.close,
    )


def main() -> None:
    """Entry point: ``python -m zhurnal_journal.entrypoints.grpc_server``."""
    settings = JournalSettings()
    runtime.run(lambda: serve(settings), settings)


if __name__ == "__main__":
    main()
