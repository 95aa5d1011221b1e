"""The reporting gRPC server: health and reflection until its use cases arrive."""

from __future__ import annotations

from zhurnal_kit import runtime
from zhurnal_reporting.bootstrap import bootstrap
from zhurnal_reporting.config import ReportingSettings


async def serve(settings: ReportingSettings) -> None:
    """Migrate, then serve until signalled."""
    app = bootstrap(settings)
    await runtime.serve_grpc(
        settings,
        "zhurnal_reporting",
        registrars=[],
        service_names=[],
        verifier=app.verifier,
        on_close=app.close,
    )


def main() -> None:
    """Entry point: ``python -m zhurnal_reporting.entrypoints.grpc_server``."""
    settings = ReportingSettings()
    runtime.run(lambda: serve(settings), settings)


if __name__ == "__main__":
    main()
