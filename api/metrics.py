"""Prometheus metrics of one app: requests and latencies per route, pages OCR'd, queue depth.
Each app has its own registry, so several apps in one process (tests) do not collide."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE  # noqa: N811
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "Metrics"]


class Metrics:
    def __init__(self, queue_depth: Callable[[], int]):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "claims_http_requests_total",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "claims_http_request_duration_seconds",
            "HTTP request latency by route",
            ["route", "method"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.pages_ocr = Counter("claims_pages_ocr_total", "Pages read by OCR", registry=self.registry)
        self.depth = Gauge("claims_job_queue_depth", "Package jobs queued or running", registry=self.registry)
        self.depth.set_function(lambda: float(queue_depth()))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
