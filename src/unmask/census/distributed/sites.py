"""`census crawl --sites FILE --workers N [--redis URL]`: every site's run at once, over one pool of workers.

One coordinator (this process) opens every site's run in the case's store, publishes each in Redis and
watches them all in one loop (each exactly as `census crawl URL --workers N` watches its one run:
``coordinator._step``). The N worker processes are shared: each serves one run (the run with the fewest
of the pool's workers, in the file's order on a tie) until that run is done, and is then started again for
the run that needs one most; workers that join from other machines (`census worker`) pick the same way.
Politeness is per host in Redis, whatever run a request belongs to, so every site keeps its own delay and
connections while the workers are spread over all of them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

from unmask.census.distributed.coordinator import (
    DistributedOptions,
    LocalWorkers,
    SiteSession,
    Stop,
    _gather,
    _step,
    end_session,
    open_session,
    private_redis,
)
from unmask.census.distributed.frontier import connect
from unmask.census.distributed.worker import LEASE_SECONDS, POLL_SECONDS
from unmask.census.sites import Say, Site, SiteOutcome, SitesSummary
from unmask.core.case import Case
from unmask.core.crawl.runner import StartUnreachable, crawl_lock
from unmask.core.errors import UnmaskError

END_WAIT = LEASE_SECONDS + 30
"""Seconds a site's workers get to store what they hold and stop once its run has ended."""


class SitePool(LocalWorkers):
    """The worker processes shared by the sites' runs: ``count`` of them while a run is still at work."""

    def __init__(self, case: Case, redis_url: str, count: int, lease: float) -> None:
        super().__init__(case, redis_url, count, lease)
        self.open_runs: list[int] = []
        """The runs still at work, in the file's order (the loop keeps it)."""
        self.serial = 0

    def start(self) -> None:
        for _ in range(self.count):
            self._start_one()

    def serving(self, run: int) -> list[str]:
        return [
            name for name, proc in self.procs.items() if self.runs.get(name) == run and proc.poll() is None
        ]

    def _start_one(self) -> None:
        if not self.open_runs:
            return
        run = min(self.open_runs, key=lambda r: (len(self.serving(r)), self.open_runs.index(r)))
        self.serial += 1
        self._spawn(f"{self.prefix}-w{self.serial}", run)

    def replace_dead(self) -> None:
        """Workers whose run ended start again for a run still at work; one that died (killed, crashed)
        is replaced too, at most ``RESTARTS_PER_WORKER`` times per worker."""
        from unmask.census.distributed.coordinator import RESTARTS_PER_WORKER

        for name, proc in list(self.procs.items()):
            if proc.poll() is None:
                continue
            del self.procs[name]
            if proc.returncode != 0:
                self.restarts += 1
        living = sum(1 for proc in self.procs.values() if proc.poll() is None)
        while living < self.count and self.open_runs and self.restarts <= RESTARTS_PER_WORKER * self.count:
            self._start_one()
            living += 1

    def wait_for(self, run: int, until: float) -> None:
        """Wait for the run's workers to end (its phase told them to), until ``until`` (monotonic)."""
        while self.serving(run) and time.monotonic() < until:
            time.sleep(0.05)
        for name in self.serving(run):
            self.procs[name].kill()


@dataclass
class Watched:
    """A site's session and where its end stands."""

    site: Site
    session: SiteSession
    ended_at: float | None = None
    """When the session's loop said it ended (its workers then stop); None while it goes on."""
    outcome: SiteOutcome | None = None


def crawl_sites_distributed(
    case: Case, sites: Sequence[Site], dist: DistributedOptions, say: Say = None
) -> SitesSummary:
    """Every site's run at once over the workers (see the module's doc); ``say``: a line for a person as
    each site ends."""
    if dist.workers < 0 or (dist.workers == 0 and dist.redis_url is None):
        raise UnmaskError("--workers must be ≥ 1 (or 0 with --redis, for workers that join)")
    with contextlib.ExitStack() as stack:
        redis_url = dist.redis_url or stack.enter_context(private_redis())
        return _coordinate_sites(case, sites, dist, redis_url, say)


def _coordinate_sites(
    case: Case, sites: Sequence[Site], dist: DistributedOptions, redis_url: str, say: Say
) -> SitesSummary:
    client = connect(redis_url)
    started = time.monotonic()
    with crawl_lock(case):
        watched = [
            Watched(site, open_session(case, site.options, client, dist.workers, dist.lease))
            for site in sites
        ]
        pool = SitePool(case, redis_url, dist.workers, dist.lease)
        pool.open_runs = [w.session.frontier.run_id for w in watched]
        metrics = None
        if dist.metrics_port is not None:
            from unmask.census.distributed.metrics import Metrics

            metrics = Metrics(dist.metrics_port)
        with Stop() as stop:
            pool.start()
            try:
                _watch(watched, pool, stop, metrics, say)
            finally:
                if stop.received > 1:
                    pool.kill()
                pool.wait(END_WAIT, stop)
                pool.kill()
                for w in watched:
                    if w.outcome is None:
                        _end(w, stop, say)
                if metrics is not None:
                    metrics.close()
    return SitesSummary([w.outcome or SiteOutcome(w.site) for w in watched], time.monotonic() - started)


def _watch(watched: list[Watched], pool: SitePool, stop: Stop, metrics: object, say: Say) -> None:
    """Every site's run until each has ended and its workers stopped (or Ctrl-C)."""
    while any(w.outcome is None for w in watched):
        for w in watched:
            if w.outcome is not None:
                continue
            run = w.session.frontier.run_id
            if w.ended_at is None:
                reason = _step(w.session, pool, stop, metrics)
                if reason is not None:
                    w.session.reason, w.ended_at = reason, time.monotonic()
                    pool.open_runs = [r for r in pool.open_runs if r != run]
            if w.ended_at is not None and (
                not pool.serving(run) or time.monotonic() - w.ended_at > END_WAIT or stop.received > 1
            ):
                pool.wait_for(run, time.monotonic())  # what is left of its workers after the wait: killed
                _end(w, stop, say)
        pool.replace_dead()
        time.sleep(POLL_SECONDS)


def _end(w: Watched, stop: Stop, say: Say) -> None:
    """Settle one site's session (its workers have ended): its summary, or that it could not be reached."""
    _gather(w.session.coordinator, w.session.reporter)
    try:
        w.outcome = SiteOutcome(w.site, end_session(w.session, stop))
    except StartUnreachable as exc:
        w.outcome = SiteOutcome(w.site, error=str(exc))
    if say is not None:
        say(w.outcome.line())
