"""The gateway process: uvicorn serving the app."""

from __future__ import annotations

import uvicorn

from zhurnal_gateway.app import create_app
from zhurnal_gateway.bootstrap import bootstrap
from zhurnal_gateway.config import GatewaySettings
from zhurnal_kit.logging import configure_logging


def main() -> None:
    """Entry point: ``python -m zhurnal_gateway.entrypoints.http``."""
    settings = GatewaySettings()
    configure_logging(settings.service_name, settings.log_level)
    app = create_app(lambda: bootstrap(settings))
    uvicorn.run(
        app,
        host=settings.bind_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.grpc_shutdown_grace_s),
    )


if __name__ == "__main__":
    main()
