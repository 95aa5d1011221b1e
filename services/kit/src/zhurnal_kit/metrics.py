"""Prometheus metrics: the /metrics endpoint and the request metrics every service exports."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRPC_HANDLED = Counter(
    "zhurnal_grpc_server_handled_total",
    "gRPC calls completed on the server, by status code",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_LATENCY = Histogram(
    "zhurnal_grpc_server_handling_seconds",
    "gRPC call latency on the server",
    ["grpc_service", "grpc_method"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "zhurnal_http_requests_total",
    "HTTP requests completed, by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "zhurnal_http_request_duration_seconds",
    "HTTP request latency, by route template",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose /metrics on ``host:port`` from a daemon thread (no event loop needed)."""
    if port:
        start_http_server(port, addr=host)
