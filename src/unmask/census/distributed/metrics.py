"""Prometheus metrics of a distributed census (`census crawl … --metrics-port N`), served on loopback by the
coordinator: the queue, the workers alive, and each worker's pages and items."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from unmask.census.distributed.frontier import QueueState, RedisFrontier


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

    def close(self) -> None:
        self.server.shutdown()
