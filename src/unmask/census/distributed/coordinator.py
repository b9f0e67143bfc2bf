"""`census crawl URL --workers N` / `--redis URL`: one census run split over worker processes.

The coordinator does what the single process does around Scrapy, and only that: it opens (or resumes) the
run and seeds it, puts the store's pending rows into the Redis queue, starts the local workers, and while
they work it
* gives the rows of a worker that died (its liveness key expired) back to the queue, when the store still
  has them pending (a page stored before its worker died is not fetched again),
* rebuilds the queue from the store when Redis restarted and lost it,
* moves the run through its phases when the queue is empty and no worker holds a row (the single process
  does this when Scrapy is idle), putting the store's pending rows into the queue first: a row the store
  has pending is never left unfetched because Redis lost track of it,
* stops everything when robots.txt and the start page both got no response, or on Ctrl-C;
then it settles the run's verdict from the store, as the single process does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from sqlalchemy import func, select

from unmask.census.distributed.frontier import RedisFrontier, case_key, connect, worker_name
from unmask.census.distributed.worker import LEASE_SECONDS, POLL_SECONDS
from unmask.census.extract.adapter import Extractor, load_extractor
from unmask.census.model import ItemKind
from unmask.census.pipeline import CrawlJob
from unmask.census.runner import CrawlSummary, ProgressReporter, crawl_summary, open_census
from unmask.census.spider import CensusSpider
from unmask.census.status import drop_live, write_live
from unmask.census.writer import CensusWriter, FrontierRow
from unmask.core.case import Case
from unmask.core.crawl.runner import (
    CrawlOptions,
    Interrupts,
    SessionEnd,
    StartUnreachable,
    base_of,
    crawl_lock,
    fetch_for,
    one_line,
)
from unmask.core.errors import UnmaskError
from unmask.core.store.models import Frontier, Item

REBUILD_GRACE = 4 * POLL_SECONDS + 0.5
"""After Redis lost the queue: the time workers get to say again which rows they hold, before the queue
is rebuilt from the store (a row held and queued again would be fetched twice: harmless, but wasted)."""
RESTARTS_PER_WORKER = 3
"""How often a local worker that died is replaced, per worker, before the coordinator stops replacing."""
CHUNK = 2000
UNREQUESTED = ("pending", "deferred", "skipped")
"""Frontier statuses of rows no request was made for."""
REAP_SECONDS = 1.0
"""How often the coordinator looks for rows held by workers that died."""
LIVE_SECONDS = 1.0
"""How often the coordinator writes each run's live file (workers at work, queue) for `stats`."""


@dataclass
class DistributedOptions:
    workers: int = 2
    """Worker processes on this machine (0: only workers that join with `census worker`)."""
    redis_url: str | None = None
    """The shared Redis; None: a private redis-server for this command (workers on this machine only)."""
    lease: float = LEASE_SECONDS
    metrics_port: int | None = None


def _pending_rows(writer: CensusWriter, *where: Any) -> Iterator[list[FrontierRow]]:
    """The run's pending rows in the store (and ``where``), in frontier order, a chunk at a time, read as the
    writer reads them."""
    columns = Frontier.__table__.c
    after = 0
    while True:
        with writer.store.session() as s:
            found = s.execute(
                select(*(columns[name] for name in writer.row_columns))
                .where(
                    Frontier.run_id == writer.run_id,
                    Frontier.status == "pending",
                    Frontier.id > after,
                    *where,
                )
                .order_by(Frontier.id)
                .limit(CHUNK)
            ).all()
            rows = [writer.make_row(tuple(values)) for values in found]
        if not rows:
            return
        after = rows[-1].id
        yield rows


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server of this command's own on a Unix socket (no TCP port), gone when the command ends."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise UnmaskError("--workers needs Redis: install redis-server, or give --redis URL")
    folder = Path(tempfile.mkdtemp(prefix="unmask-redis-"))
    sock = folder / "redis.sock"
    args = [binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
    args += ["--save", "", "--appendonly", "no", "--dir", str(folder), "--daemonize", "no"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise UnmaskError("redis-server did not start")
            time.sleep(0.02)
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


class LocalWorkers:
    """The worker processes this command starts (`unmask census worker`), replaced when one dies."""

    def __init__(self, case: Case, redis_url: str, count: int, lease: float) -> None:
        self.case, self.redis_url, self.count, self.lease = case, redis_url, count, lease
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.runs: dict[str, int | None] = {}
        """The run each worker was started for (None: the case's run that needs it most)."""
        self.restarts = 0
        self.prefix = worker_name(f"{os.uname().nodename}-{os.getpid()}")

    def start(self) -> None:
        for i in range(1, self.count + 1):
            self._spawn(f"{self.prefix}-w{i}")

    def _spawn(self, name: str, run: int | None = None) -> None:
        args = [sys.executable, "-m", "unmask", "census", "worker", "--redis", self.redis_url, "--quiet"]
        args += ["--case", str(self.case.root), "--name", name, "--lease", str(self.lease), "--wait", "60"]
        if run is not None:
            args += ["--run", str(run)]
        self.runs[name] = run
        with open(self.case.root / "logs" / f"worker-{name}.out", "ab") as out:
            self.procs[name] = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def replace_dead(self) -> None:
        """Replace workers that exited before the run ended (killed, crashed), under a new name each."""
        for name, proc in list(self.procs.items()):
            if proc.poll() is None or proc.returncode == 0:
                continue
            del self.procs[name]
            if self.restarts < RESTARTS_PER_WORKER * self.count:
                self.restarts += 1
                self._spawn(f"{self.prefix}-r{self.restarts}")

    def running(self) -> bool:
        return any(proc.poll() is None for proc in self.procs.values())

    def wait(self, timeout: float, stop: Stop) -> None:
        """Wait for the workers to end (after the run's phase told them to), at most ``timeout`` s, or
        until a second Ctrl-C."""
        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline and stop.received < 2:
            time.sleep(0.05)

    def kill(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs.values():
            proc.wait()


class Stop(Interrupts):
    """Ctrl-C (or SIGTERM): the first asks the workers to stop after the pages in flight are stored, a
    second stops them at once (the signals as the single process's ``Interrupts`` takes them)."""

    def __init__(self) -> None:
        self.received = 0
        self.forced = False
        self._previous: dict[int, Any] = {}
        self._deadline = None

    def __enter__(self) -> Stop:
        super().__enter__()
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.received += 1


class Coordinator:
    """One session of a distributed census run."""

    def __init__(
        self,
        case: Case,
        writer: CensusWriter,
        frontier: RedisFrontier,
        extractor: Extractor,
        job: CrawlJob,
        request_limit: int,
        base_url: str,
    ) -> None:
        self.case, self.writer, self.frontier, self.extractor, self.job = (
            case,
            writer,
            frontier,
            extractor,
            job,
        )
        self.request_limit = request_limit
        self.item_key = CensusSpider(extractor=extractor, base_url=base_url).item_key
        self.rebuilds = 0
        """Times the queue was rebuilt from the store (Redis restarted)."""
        self.requeued = 0
        """Rows of workers that died, given back to the queue."""
        self.lease = LEASE_SECONDS
        """How long the coordinator's own liveness key lives (renewed every poll)."""
        self.unreachable: dict[str, str] = {}
        """robots.txt and the start page, when both got no response (URL → error)."""
        self.last_reap = 0.0
        """When ``reap`` last looked for rows of workers that died (monotonic seconds)."""
        self.settled_before = self.settled()
        """Rows the run had settled when this session began (the request limit counts this session's)."""

    def settled(self) -> int:
        """The run's rows fetched or answered for (not waiting, not skipped): one request each, or none."""
        return sum(n for status, n in self.writer.counts().items() if status not in UNREQUESTED)

    def queue_pending(self) -> int:
        """Put the store's pending rows into the queue (those a worker holds stay with it)."""
        given = 0
        for rows in _pending_rows(self.writer):
            given += self.frontier.push(rows)
        self.frontier.mark_loaded()
        return given

    def reap(self) -> None:
        """Rows held by workers whose liveness expired: back to the queue if the store has them pending."""
        claims = self.frontier.claims()
        if not claims:
            return
        living = self.frontier.living(claims.values())
        orphaned = {row: worker for row, worker in claims.items() if worker not in living}
        if not orphaned:
            return
        ids = list(orphaned)
        rows = [
            row
            for i in range(0, len(ids), CHUNK)
            for chunk in _pending_rows(self.writer, Frontier.id.in_(ids[i : i + CHUNK]))
            for row in chunk
        ]
        self.requeued += len(rows)
        self.frontier.release(orphaned, rows)

    def advance(self, claimed: int) -> bool:
        """The queue is empty and no worker holds a row: what the single process does when Scrapy is idle.
        Returns True when there is more work, False when the run has none left (its phase is then done)."""
        job, writer = self.job, self.writer
        if self.request_limit and claimed >= self.request_limit:
            waiting = writer.counts()
            if waiting.get("pending") or waiting.get("deferred") or job.phase == "enumerate":
                writer.record_limit("requests")
                job.notes.append(f"stopped at the request limit ({self.request_limit:,} a session)")
            return self._done()
        if self.queue_pending():  # rows the store has pending that Redis lost track of (a restart, a kill)
            return True
        wanted = {kind: self.extractor.wanted(kind) for kind in ItemKind}
        if job.phase == "enumerate":
            self._set_phase("fill")
        queued = writer.queue_incomplete(wanted, job.cursors)
        released = writer.release_deferred(self.item_key)
        if not (queued or released) and job.cursors:
            job.cursors.clear()
            queued = writer.queue_incomplete(wanted, job.cursors)
        if (queued or released) and self.queue_pending():
            return True
        return self._done()

    def _set_phase(self, phase: str) -> None:
        self.job.phase = phase
        self.writer.set_phase(phase)
        self.frontier.set_phase(phase)

    def _done(self) -> bool:
        self._set_phase("done")
        return False


def crawl_distributed(case: Case, opts: CrawlOptions, dist: DistributedOptions) -> CrawlSummary:
    """One session of a census run over workers; the same command resumes it (see the module's doc)."""
    if dist.workers < 0 or (dist.workers == 0 and dist.redis_url is None):
        raise UnmaskError("--workers must be ≥ 1 (or 0 with --redis, for workers that join)")
    with contextlib.ExitStack() as stack:
        redis_url = dist.redis_url or stack.enter_context(private_redis())
        return _coordinate(case, opts, dist, redis_url)


def _coordinate(case: Case, opts: CrawlOptions, dist: DistributedOptions, redis_url: str) -> CrawlSummary:
    client = connect(redis_url)
    with crawl_lock(case):
        session = open_session(case, opts, client, dist.workers, dist.lease)
        workers = LocalWorkers(case, redis_url, dist.workers, dist.lease)
        metrics = None
        if dist.metrics_port is not None:
            from unmask.census.distributed.metrics import Metrics

            metrics = Metrics(dist.metrics_port)
        with session.reporter.progress, Stop() as stop:
            workers.start()
            try:
                session.reason = _loop(session, workers, stop, metrics)
            finally:
                if stop.received > 1 or session.reason == "forced":
                    workers.kill()
                workers.wait(LEASE_SECONDS + 30, stop)
                workers.kill()
                _gather(session.coordinator, session.reporter)
                session.reporter(session.job, force=True)
        return end_session(session, stop)


@dataclass
class SiteSession:
    """One session of one platform's census run, as its coordinator keeps it (``census crawl URL`` has
    one; ``census crawl --sites FILE`` one per platform, all in one loop)."""

    opts: CrawlOptions
    coordinator: Coordinator
    meta: dict[str, Any]
    reporter: ProgressReporter
    resumed: bool
    sessions: int
    """The run's session number (1 for a new run)."""
    started: float
    reason: str = "finished"
    """Scrapy's word for how the session ended (``_step``'s answer)."""
    live_at: float = 0.0
    """When the run's live file (``census.status``) was last written (monotonic seconds)."""

    @property
    def job(self) -> CrawlJob:
        return self.coordinator.job

    @property
    def frontier(self) -> RedisFrontier:
        return self.coordinator.frontier

    @property
    def site(self) -> str:
        """The platform's host (and port), as metrics and status name it."""
        return str(urlsplit(self.meta["base"]).netloc)


def open_session(case: Case, opts: CrawlOptions, client: Any, workers: int, lease: float) -> SiteSession:
    """Open (or resume) the platform's run, publish it in Redis and queue the store's pending rows; the
    caller holds the case's crawl lock."""
    base = base_of(opts.url)
    extractor = load_extractor(opts.adapter, base_url=base)
    fetch = fetch_for(case, opts)
    delay, concurrency, obey_robots = fetch.delay, fetch.concurrency, fetch.obey_robots
    max_requests = opts.max_requests or case.config.crawl.max_requests
    opened = open_census(case, opts.url, extractor, fetch, workers=workers)
    run, resumed, writer = opened.run, opened.resumed, opened.writer
    phase = run.phase if run.phase in ("enumerate", "fill", "done") else "enumerate"
    job = CrawlJob(
        writer=writer,
        extractor=extractor,
        start_url=opened.start_url,
        robots_url=opened.robots_url,
        phase=phase,
        max_requests=max_requests,
        window=0,
    )
    frontier = RedisFrontier(client, case_key(case.config.secret), run.id)
    meta = {
        "base": base,
        "url": opts.url,
        "adapter_source": opts.adapter,
        "platform_id": writer.platform_id,
        "incremental": run.incremental,
        "start_url": job.start_url,
        "robots_url": job.robots_url,
        "delay": delay,
        "concurrency": concurrency,
        "obey_robots": obey_robots,
        "max_requests": max_requests,
        "workers": workers,
        "phase": phase,
    }
    frontier.new_session()
    frontier.publish(meta, phase)
    coordinator = Coordinator(case, writer, frontier, extractor, job, max_requests, base)
    coordinator.lease = lease
    frontier.coordinating(int(lease * 1000))
    coordinator.queue_pending()
    (case.root / "logs").mkdir(exist_ok=True)
    reporter = ProgressReporter(opts.progress, writer, cast(Any, SimpleNamespace(counters=Counter())))
    return SiteSession(opts, coordinator, meta, reporter, resumed, run.sessions, time.monotonic())


def end_session(session: SiteSession, stop: Stop) -> CrawlSummary:
    """Close the session in Redis and settle the run's verdict from the store, as the single process does
    (its workers have ended); a start page that got no response is the command failing."""
    coordinator, job = session.coordinator, session.job
    writer, frontier = coordinator.writer, session.frontier
    drop_live(coordinator.case.root, frontier.run_id)
    final = frontier.phase() or "stop"
    frontier.close(final if final in ("done", "stop") else "stop")
    if coordinator.unreachable:
        error = coordinator.unreachable.get(job.start_url) or "no response"
        writer.fail_start(error)
        raise StartUnreachable(f"cannot fetch it: {one_line(error)}", where=session.opts.url)
    finished = session.reason == "finished" and job.phase == "done"
    settled = writer.settle(finished=finished, start_url=job.start_url)
    job.counters["new_items"] = _seen_this_run(coordinator.case, writer.platform_id, writer.run_id)
    end = SessionEnd(session.reason, stop.received > 0, time.monotonic() - session.started)
    return crawl_summary(writer, job, settled, writer.run_id, session.resumed, session.sessions, end)


class Workers(Protocol):
    """The worker processes a coordinator looks after (``LocalWorkers``, or the pool of ``--sites``)."""

    count: int

    def replace_dead(self) -> None: ...

    def running(self) -> bool: ...


def _loop(session: SiteSession, workers: Workers, stop: Stop, metrics: Any) -> str:
    """Watch the run until it is done or stopped; returns Scrapy's word for how it ended."""
    while True:
        reason = _step(session, workers, stop, metrics)
        if reason is not None:
            return reason
        time.sleep(POLL_SECONDS)


def _step(session: SiteSession, workers: Workers, stop: Stop, metrics: Any) -> str | None:
    """One look at the run (what ``_loop`` does every poll): None while it goes on, else how it ended."""
    coordinator, frontier, job, meta = session.coordinator, session.frontier, session.job, session.meta
    frontier.coordinating(int(coordinator.lease * 1000))
    if stop.received:
        frontier.set_phase("stop")
        return "shutdown" if stop.received == 1 else "forced"
    state = frontier.state()
    if state.phase is None or not state.loaded:  # Redis restarted: publish the run again, rebuild
        frontier.publish({**meta, "phase": job.phase}, job.phase)
        time.sleep(REBUILD_GRACE)
        coordinator.rebuilds += 1
        # the request limit's count, before the queue has rows to claim: stored this session, and held
        frontier.recount(coordinator.settled() - coordinator.settled_before)
        coordinator.queue_pending()
        return None
    unreachable = frontier.unreachable()
    if job.start_url in unreachable and job.robots_url in unreachable:
        coordinator.unreachable = unreachable
        frontier.set_phase("stop")
        return "start_failed"
    now = time.monotonic()
    if now - coordinator.last_reap > REAP_SECONDS:
        coordinator.reap()
        coordinator.last_reap = now
    if job.phase == "done":
        return "finished"
    limited = bool(coordinator.request_limit) and state.claimed >= coordinator.request_limit
    if state.inflight == 0 and (state.pending == 0 or limited) and not coordinator.advance(state.claimed):
        return "finished"  # the phase is done now; the workers see it and end
    workers.replace_dead()
    if not workers.running() and not frontier.workers() and job.phase != "done" and workers.count:
        # every worker is gone and could not be replaced: stop, the run stays resumable
        frontier.set_phase("stop")
        job.notes.append("every worker stopped before the run ended (see logs/worker-*.out)")
        return "shutdown"
    _gather(coordinator, session.reporter)
    if now - session.live_at >= LIVE_SECONDS:  # for `stats` and the web UI, which do not reach Redis
        session.live_at = now
        live = {"site": session.site, "phase": state.phase, "pending": state.pending}
        write_live(coordinator.case.root, frontier.run_id, {**live, "workers": len(frontier.workers())})
    if metrics is not None:
        metrics.update(frontier, state)
        metrics.update_site(session.site, frontier, state)
    return None


def _gather(coordinator: Coordinator, reporter: ProgressReporter) -> None:
    """The workers' counters summed into the run's job (for the progress bar and the summary)."""
    total: Counter[str] = Counter()
    for counters in coordinator.frontier.counters().values():
        total.update(counters)
    coordinator.job.counters = total
    reporter(coordinator.job)


def _seen_this_run(case: Case, platform_id: int, run_id: int) -> int:
    with case.store.session() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Item)
                .where(Item.platform_id == platform_id, Item.last_seen_run == run_id)
            )
            or 0
        )
