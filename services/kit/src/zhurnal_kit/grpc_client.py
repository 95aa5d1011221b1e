"""gRPC channels for calling other services: a deadline on every call, identity passed on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from zhurnal_kit.auth import current_caller
from zhurnal_kit.logging import new_traceparent, request_id_var, trace_id_var


class _OutgoingCall(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds the default deadline when the caller set none, and the request context metadata."""

    def __init__(self, default_timeout_s: float) -> None:
        self._timeout = default_timeout_s

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        if request_id := request_id_var.get():
            metadata.add("x-request-id", request_id)
        metadata.add("traceparent", new_traceparent(trace_id_var.get()))
        caller = current_caller.get()
        if caller.token and not metadata.get_all("authorization"):
            metadata.add("authorization", f"Bearer {caller.token}")
        new_details = grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=details.timeout if details.timeout is not None else self._timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )
        return await continuation(new_details, request)


# Largest gRPC message either side accepts. gRPC's default (4 MB) is below the files people
# upload (identity's imports take up to 10 MB): above it a call would fail before the service
# could answer with an error naming the field.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def make_channel(target: str, *, default_timeout_s: float = 5.0) -> grpc.aio.Channel:
    """An insecure channel (TLS is the mesh's job in a cluster) with deadlines enforced."""
    return grpc.aio.insecure_channel(
        target,
        interceptors=[_OutgoingCall(default_timeout_s)],
        options=[
            ("grpc.keepalive_time_ms", 30000),
            ("grpc.enable_retries", 1),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ],
    )
