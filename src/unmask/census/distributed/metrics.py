"""Prometheus metrics of a distributed census (`census crawl … --metrics-port N`), served on loopback by the
coordinator: the queue, the workers alive, and each worker's pages and items; and per site (the platform's
host, and port when it has one: ``census crawl --sites`` runs several at once) its pages, items,
failures, queue and workers."""

from __future__ import annotations

from collections import Counter

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from unmask.census.distributed.frontier import QueueState, RedisFrontier

SITE_GAUGES = {
    "pages": "Pages stored this session",
    "items": "Item descriptions stored this session",
    "failures": "Pages that failed or could not be parsed this session",
    "pending": "Frontier rows waiting in the queue",
    "workers": "Workers with a live heartbeat",
}
"""The per-site gauges (``unmask_census_site_<name>``, label ``site``: the platform's host and port)."""


class Metrics:
    def __init__(self, port: int, addr: str = "127.0.0.1") -> None:
        self.registry = CollectorRegistry()
        labels = ["run"]
        self.pending = Gauge(
            "unmask_census_queue_pending",
            "Frontier rows waiting in the queue",
            labels,
            registry=self.registry,
        )
        self.inflight = Gauge(
            "unmask_census_queue_inflight", "Frontier rows held by workers", labels, registry=self.registry
        )
        self.claimed = Gauge(
            "unmask_census_claimed", "Rows handed to workers this session", labels, registry=self.registry
        )
        self.workers = Gauge(
            "unmask_census_workers_alive", "Workers with a live heartbeat", labels, registry=self.registry
        )
        self.worker_pages = Gauge(
            "unmask_census_worker_pages",
            "Pages a worker stored this session",
            ["run", "worker"],
            registry=self.registry,
        )
        self.worker_items = Gauge(
            "unmask_census_worker_items",
            "Item descriptions a worker stored",
            ["run", "worker"],
            registry=self.registry,
        )
        self.site = {
            name: Gauge(f"unmask_census_site_{name}", text, ["site"], registry=self.registry)
            for name, text in SITE_GAUGES.items()
        }
        self.server, self.thread = start_http_server(port, addr=addr, registry=self.registry)

    def update(self, frontier: RedisFrontier, state: QueueState) -> None:
        run = str(frontier.run_id)
        self.pending.labels(run).set(state.pending)
        self.inflight.labels(run).set(state.inflight)
        self.claimed.labels(run).set(state.claimed)
        self.workers.labels(run).set(len(frontier.workers()))
        for worker, counters in frontier.counters().items():
            self.worker_pages.labels(run, worker).set(counters.get("pages", 0))
            self.worker_items.labels(run, worker).set(counters.get("items", 0))

    def update_site(self, site: str, frontier: RedisFrontier, state: QueueState) -> None:
        """The site's figures: its workers' counters summed."""
        totals: Counter[str] = Counter()
        for counters in frontier.counters().values():
            totals.update(counters)
        values = {
            "pages": totals["pages"],
            "items": totals["items"],
            "failures": totals["failed"] + totals["unparsed"],
            "pending": state.pending,
            "workers": len(frontier.workers()),
        }
        for name, value in values.items():
            self.site[name].labels(site).set(value)

    def close(self) -> None:
        self.server.shutdown()
