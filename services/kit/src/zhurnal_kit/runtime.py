"""Process runners shared by every service's entrypoints (kept thin: they call these)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from zhurnal_kit.auth import TokenVerifier
from zhurnal_kit.consumer import Handler, IdempotentConsumer
from zhurnal_kit.db import UnitOfWork, make_engine, make_session_factory
from zhurnal_kit.events import dead_letter_topic
from zhurnal_kit.grpc_server import GrpcServer, Registrar
from zhurnal_kit.kafka import ensure_topics, make_consumer, make_producer
from zhurnal_kit.logging import configure_logging
from zhurnal_kit.metrics import serve_metrics
from zhurnal_kit.migrations import apply_migrations
from zhurnal_kit.outbox import OutboxRelay
from zhurnal_kit.settings import ServiceSettings

log = logging.getLogger(__name__)


def run(main: Callable[[], Coroutine[Any, Any, None]], settings: ServiceSettings) -> None:
    """Configure logging and metrics, then run ``main`` in a fresh event loop."""
    configure_logging(settings.service_name, settings.log_level)
    serve_metrics(settings.metrics_port, settings.bind_host)
    asyncio.run(main())


def on_stop_signals(stop: Callable[[], None]) -> None:
    """Call ``stop`` on SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)


async def prepare_database(settings: ServiceSettings, package: str) -> None:
    """Apply the service's migrations when this process is allowed to (see settings), as the
    owner when its URL is given."""
    if settings.run_migrations:
        url = settings.migrations_database_url or settings.database_url
        await apply_migrations(package, url.get_secret_value())


async def run_relay(settings: ServiceSettings, package: str) -> None:
    """The outbox relay process of a service."""
    await prepare_database(settings, package)
    engine = make_engine(settings)
    producer = make_producer(settings)
    await producer.start()
    relay = OutboxRelay(
        service=settings.service_name,
        session_factory=make_session_factory(engine),
        producer=producer,
        fault_pause_s=settings.fault_pause_s,
    )
    on_stop_signals(relay.stop)
    log.info("outbox relay running")
    try:
        await relay.run()
    finally:
        await producer.stop()
        await engine.dispose()


async def run_consumer(
    settings: ServiceSettings,
    package: str,
    *,
    group_id: str,
    topics: list[str],
    handlers: Mapping[str, Handler],
    uow_factory: Callable[[Callable[[], object]], UnitOfWork],
) -> None:
    """A consumer process: subscribes ``topics`` for ``group_id`` and applies ``handlers``."""
    await prepare_database(settings, package)
    await ensure_topics(settings, [*topics, *map(dead_letter_topic, topics)])
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    consumer = make_consumer(settings, *topics, group_id=group_id)
    dlq = make_producer(settings)
    await consumer.start()
    await dlq.start()
    worker = IdempotentConsumer(
        group_id=group_id,
        consumer=consumer,
        dlq_producer=dlq,
        uow_factory=lambda: uow_factory(sessions),
        handlers=handlers,
        fault_pause_s=settings.fault_pause_s,
    )
    on_stop_signals(worker.stop)
    log.info("consumer running", extra={"group_id": group_id, "topics": topics})
    try:
        await worker.run()
    finally:
        await consumer.stop()
        await dlq.stop()
        await engine.dispose()


async def serve_grpc(
    settings: ServiceSettings,
    package: str,
    *,
    registrars: list[Registrar],
    service_names: list[str],
    verifier: TokenVerifier,
    on_close: Callable[[], Awaitable[None]],
) -> None:
    """A service's gRPC process: migrate, serve until signalled, then release resources."""
    await prepare_database(settings, package)
    server = GrpcServer(
        registrars=registrars,
        service_names=service_names,
        bind=f"{settings.bind_host}:{settings.grpc_port}",
        verifier=verifier,
        shutdown_grace_s=settings.grpc_shutdown_grace_s,
    )
    try:
        await server.serve_until_signalled()
    finally:
        await on_close()
