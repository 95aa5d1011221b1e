"""The backup gRPC server: health and reflection until its use cases arrive."""

from __future__ import annotations

from zhurnal_backup.bootstrap import bootstrap
from zhurnal_backup.config import BackupSettings
from zhurnal_kit import runtime


async def serve(settings: BackupSettings) -> None:
    """Migrate, then serve until signalled."""
    app = bootstrap(settings)
    await runtime.serve_grpc(
        settings,
        "zhurnal_backup",
        registrars=[],
        service_names=[],
        verifier=app.verifier,
        on_close=app.close,
    )


def main() -> None:
    """Entry point: ``python -m zhurnal_backup.entrypoints.grpc_server``."""
    settings = BackupSettings()
    runtime.run(lambda: serve(settings), settings)


if __name__ == "__main__":
    main()
