"""A census worker: one Scrapy process that claims frontier rows from Redis, fetches them, stores each page
whole in the case's store (as the single-process census does) and only then acknowledges it.

It runs on the crawl engine (``unmask.core.crawl``) as the single-process census does; what differs is only
where work comes from and goes to. The writer's frontier interface is Redis's: ``claim`` takes rows from the
shared queue, ``commit_many`` and ``fail`` store as the single process does and then acknowledge (the new
rows a page added go into the queue with the acknowledgement); it shares its pagination memory through
Redis and retries a transaction that met another worker's (a deadlock, a link two workers added at once).
The pipeline's phases are the coordinator's: an idle worker waits for work until the coordinator says the
run is done. Evidence goes to WARC files named after the worker.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import random
import resource
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import redis
import redis.asyncio as aioredis
from scrapy import Request, Spider, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from sqlalchemy.exc import DBAPIError
from twisted.internet import task
from twisted.internet.defer import Deferred

from unmask.census.distributed.frontier import (
    RedisFrontier,
    case_key,
    connect,
    least_served_run,
    worker_name,
)
from unmask.census.distributed.politeness import GlobalPoliteness
from unmask.census.extract.adapter import load_extractor
from unmask.census.pipeline import CensusCrawler, CensusPipeline, CrawlJob
from unmask.census.spider import CensusSpider
from unmask.census.writer import CensusWriter, ChainMemory, CommitResult, FrontierRow, PageCommit
from unmask.core.case import Case
from unmask.core.crawl.runner import PhaseBars, run_session
from unmask.core.errors import UnmaskError
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Scope
from unmask.core.fetch.transport import Transport

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
"""How often a worker looks for work, for the coordinator's phase, and for a Redis that lost its claims."""
LEASE_SECONDS = 10.0
"""A worker's liveness key lives this long unless renewed (four times as often): after that its claimed
rows go back to the queue. Also the longest a host's concurrency slot stays held by a killed worker."""
WINDOW_PER_CONNECTION = 4
"""Rows a worker claims at most per connection it may use: enough to keep its connections busy, few
enough that the other workers get the rest."""
TRANSACTION_ATTEMPTS = 4
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001", "23505"})
"""Deadlock, serialization failure, unique violation (the same link added by two workers at once): the
transaction is tried again, and sees the other worker's rows."""


def _retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in RETRYABLE_SQLSTATES or "database is locked" in str(orig)


TRACE_ENV = "UNMASK_TRACE_DIR"
"""When set (a folder), each worker writes there when each listing row was claimed, sent, answered,
stored and acknowledged (``<worker>.trace``: one ``<time> <event> <row ids>`` line each): how the chain
steps of docs/scale.md were timed (``bench/scale_bench.py --trace``)."""


class StepTrace:
    """The listing rows' steps of one worker (``TRACE_ENV``); does nothing when it is not set."""

    def __init__(self, worker: str) -> None:
        folder = os.environ.get(TRACE_ENV)
        self.out = open(os.path.join(folder, f"{worker}.trace"), "a") if folder else None  # noqa: SIM115

    def note(self, event: str, rows: Iterable[Any]) -> None:
        if self.out is None:
            return
        ids = " ".join(str(r.id) for r in rows if r.kind.value == "listing")
        if ids:
            self.out.write(f"{time.time():.4f} {event} {ids}\n")

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


class SharedChainMemory(ChainMemory):
    """The items each pagination chain has shown, in Redis: the workers reading a chain's pages share it."""

    def __init__(self, frontier: RedisFrontier) -> None:
        super().__init__()
        self.frontier = frontier
        self._remembered: list[tuple[str, str]] = []

    def add(self, chain: str, keys: Iterable[str]) -> bool:
        digests = sorted(
            {hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest() for k in keys}
        )
        added = self.frontier.remember(chain, digests)
        self._remembered.extend((chain, d) for d in added)
        return bool(added)

    def keep(self) -> None:
        self._remembered.clear()

    def forget(self) -> None:
        by_chain: dict[str, list[str]] = {}
        for chain, digest in self._remembered:
            by_chain.setdefault(chain, []).append(digest)
        for chain, digests in by_chain.items():
            self.frontier.forget(chain, digests)
        self._remembered.clear()


class Activity:
    """When a worker got its responses (per half second) and what its process cost: the worker's log ends
    with these as one JSON line (``worker figures:``), which bench/scale_bench.py reads."""

    BUCKET = 0.5

    def __init__(self) -> None:
        self.started = time.time()
        self.responses: Counter[int] = Counter()

    def note(self) -> None:
        self.responses[int((time.time() - self.started) / self.BUCKET)] += 1

    def figures(self, *, idle: float, slot_wait: float, pages: int, retries: int) -> str:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return json.dumps(
            {
                "started": round(self.started, 3),
                "bucket": self.BUCKET,
                "responses": {str(k): v for k, v in sorted(self.responses.items())},
                "pages": pages,
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
                "idle_seconds": round(idle, 2),
                "slot_wait_seconds": round(slot_wait, 2),
                "transaction_retries": retries,
            },
            separators=(",", ":"),
        )


class SharedRobots(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with each host's file fetched once for all the run's workers: the
    first worker that needs it fetches it (holding a short lock in Redis) and keeps its body in Redis for
    the run; the others parse that body. So N workers make the requests one process makes. A fetch that
    got no response is not shared: the next worker that needs the file tries for itself."""

    LOCK_SECONDS = LEASE_SECONDS
    """How long the other workers wait for the one fetching robots.txt (killed meanwhile: they fetch it)."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.queue: RedisFrontier = crawler.job.queue

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            robots_url = f"{urlparse_cached(request).scheme}://{netloc}/robots.txt"
            body = await self._shared_body(netloc)
            if body is not None and netloc not in self._parsers:
                self._parsers[netloc] = Deferred()
                await super()._parse_robots(Response(robots_url, body=body), netloc, request)
        return await super().robot_parser(request)

    async def _shared_body(self, netloc: str) -> bytes | None:
        """The body another worker fetched; None when this worker is to fetch it (or Redis is away)."""
        key, lock = self.queue.key(f"robots:{netloc}"), self.queue.key(f"robots-lock:{netloc}")
        deadline = time.monotonic() + self.LOCK_SECONDS
        try:
            while time.monotonic() < deadline:
                stored = self.queue.client.get(key)
                if stored is not None:
                    return base64.b64decode(str(stored))
                if self.queue.client.set(lock, "1", nx=True, px=int(self.LOCK_SECONDS * 1000)):
                    return None
                await asyncio.sleep(0.05)
        except redis.RedisError as exc:
            log.warning("Redis did not answer (robots.txt of %s): %s", netloc, exc)
        return None

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        try:
            self.queue.client.set(
                self.queue.key(f"robots:{netloc}"), base64.b64encode(response.body).decode()
            )
        except redis.RedisError as exc:
            log.warning("Redis did not answer (robots.txt of %s): %s", netloc, exc)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        with contextlib.suppress(redis.RedisError):
            self.queue.client.delete(self.queue.key(f"robots-lock:{netloc}"))
        super()._robots_error(exc, netloc)


class WorkerWriter(CensusWriter):
    """The census writer of one worker: stores as the single process does, then acknowledges in Redis."""

    def __init__(
        self, *args: Any, frontier: RedisFrontier, worker: str, request_limit: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, chains=SharedChainMemory(frontier), **kwargs)
        self.frontier = frontier
        self.worker = worker
        self.request_limit = request_limit
        """Rows all workers may claim this session (the run's request limit); 0: no limit."""
        self.retries = 0
        """Transactions tried again after meeting another worker's (a deadlock, a link added at once)."""
        self.trace = StepTrace(worker)

    def claim(self, limit: int, *, after: int = 0, skip: Iterable[int] = ()) -> list[FrontierRow]:
        """Rows from the shared queue (in frontier order, held by this worker until acknowledged); ``after``
        and ``skip`` do not apply: a claimed row is no other worker's, and this one's until it settles."""
        rows = self.frontier.claim(self.worker, limit, self.request_limit)
        self.trace.note("claimed", rows)
        return rows

    def _transaction(self, pages: Sequence[PageCommit]) -> list[CommitResult]:
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                return super()._transaction(pages)
            except DBAPIError as exc:
                if attempt == TRANSACTION_ATTEMPTS or not _retryable(exc):
                    raise
                log.info("transaction met another worker's (%s); trying again", type(exc.orig).__name__)
                self.retries += 1
                time.sleep(random.uniform(0.02, 0.1) * attempt)
        raise AssertionError("unreachable")

    def commit_many(self, pages: Sequence[PageCommit]) -> list[CommitResult | Exception]:
        self.trace.note("storing", (page.frontier for page in pages))
        results = super().commit_many(pages)
        self.trace.note("stored", (page.frontier for page in pages))
        stored = [(p, r) for p, r in zip(pages, results, strict=True) if not isinstance(r, Exception)]
        new_rows = [row for _page, result in stored for row in result.new_rows]
        self.frontier.ack(self.worker, [page.frontier.id for page, _r in stored], new_rows)
        self.trace.note("queued", new_rows)
        return results

    def fail(self, frontier_id: int, status: str, error: str | None, capture_id: int | None) -> None:
        super().fail(frontier_id, status, error, capture_id)
        self.frontier.ack(self.worker, [frontier_id])


@dataclass
class WorkerJob(CrawlJob):
    """The census job of one worker: where its rows come from (Redis) and the politeness it shares."""

    frontier: RedisFrontier | None = None
    worker: str = ""
    delay: float = 0.0
    concurrency: int = 1
    """Connections per host, for all workers together (``GlobalPoliteness``)."""
    lease: float = LEASE_SECONDS
    redis_url: str = ""
    """The shared Redis (the worker's wake-ups wait on a connection of their own)."""
    idle_seconds: float = 0.0
    """Time this worker held no row (measured at each poll)."""
    slot_wait_seconds: float = 0.0
    """Time its requests waited for the host's slots (all together)."""
    reported: Counter[str] = field(default_factory=Counter)

    @property
    def queue(self) -> RedisFrontier:
        assert self.frontier is not None
        return self.frontier

    def got_no_response(self, url: str, error: str) -> bool:
        super().got_no_response(url, error)
        watched = (self.start_url, self.robots_url)
        if not self.queue.no_response(url, error.removeprefix(f"{url}: "), watched):
            return False
        self.unreachable.update(self.queue.unreachable())
        return True


class WorkerPipeline(CensusPipeline):
    """The census pipeline with rows claimed from Redis (the writer's ``claim``); the coordinator moves the
    run's phases, records its request limit and says when it is done."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._poll: task.LoopingCall | None = None
        self._waker: asyncio.Task[None] | None = None
        self._coordinator_seen = self._polled = time.monotonic()
        crawler.signals.connect(self.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.on_response, signal=signals.response_received)
        self.activity = Activity()

    @property
    def wjob(self) -> WorkerJob:
        assert isinstance(self.job, WorkerJob)
        return self.job

    def on_opened(self, spider: Spider) -> None:
        self._poll = task.LoopingCall(self.poll)
        self._poll.start(POLL_SECONDS, now=True)
        self._waker = asyncio.get_running_loop().create_task(self._wake_on_work())

    def close_spider(self, spider: Any = None) -> None:
        if self._poll is not None and self._poll.running:
            self._poll.stop()
        if self._waker is not None:
            self._waker.cancel()
        super().close_spider(spider)
        if isinstance(self.wjob.writer, WorkerWriter):
            self.wjob.writer.trace.close()
        log.info(
            "worker figures: %s",
            self.activity.figures(
                idle=self.wjob.idle_seconds,
                slot_wait=self.wjob.slot_wait_seconds,
                pages=self.job.counters["pages"],
                retries=self.wjob.writer.retries if isinstance(self.wjob.writer, WorkerWriter) else 0,
            ),
        )

    def on_response(self, response: Any, request: Any, spider: Spider) -> None:
        self.activity.note()
        if isinstance(self.wjob.writer, WorkerWriter) and "row" in request.meta:
            self.wjob.writer.trace.note("answered", [request.meta["row"]])

    async def _wake_on_work(self) -> None:
        """Claim as soon as rows are queued (a token in the run's ``wake`` list), not at the next poll: the
        next page of a pagination chain another worker stored goes to a worker with room at once."""
        job = self.wjob
        client = aioredis.Redis.from_url(job.redis_url, decode_responses=True, socket_timeout=30)
        try:
            while not job.stopped and not job.done:
                try:
                    woken = await client.blpop([job.queue.wake_key], timeout=POLL_SECONDS)
                except (redis.RedisError, OSError):  # Redis away: the poll rides it out; look again later
                    await asyncio.sleep(POLL_SECONDS)
                    continue
                if woken and not job.stopped:
                    try:
                        self.refill(force=not job.inflight)
                    except redis.RedisError as exc:
                        log.warning("Redis did not answer: %s", exc)
        finally:
            await client.aclose()

    def work_left(self) -> bool:
        return False  # the run's request limit is the coordinator's to record, once

    def next_phase(self, spider: Spider) -> bool:
        """Idle with an empty queue: the coordinator opens the next phase; wait for it (the poll claims its
        rows) unless the run is done or stopped."""
        try:
            return self.wjob.queue.phase() not in ("done", "stop")
        except redis.RedisError as exc:  # Redis away: keep waiting; the poll asks again
            log.warning("Redis did not answer: %s", exc)
            return True

    def end(self) -> None:
        self.job.done = True  # the run's phase in the store is the coordinator's

    def poll(self) -> None:
        """Claim work when the window is half empty, say again which rows this worker holds when Redis
        lost them, report progress, and end when the coordinator says the run is done or stopped."""
        try:
            self._poll_once()
        except redis.RedisError as exc:  # Redis away longer than the client's retries: try again later
            log.warning("Redis did not answer: %s", exc)

    def _poll_once(self) -> None:
        job = self.wjob
        state = job.queue.state()
        now = time.monotonic()
        if not job.inflight:  # in the worker's figures
            job.idle_seconds += now - self._polled
        self._polled = now
        if state.coordinator:
            self._coordinator_seen = now
        elif now - self._coordinator_seen > 2 * job.lease:  # killed: the same command resumes the run
            log.warning("the census's coordinator is gone: this worker stops")
            self._stop("shutdown")
            return
        if not state.loaded and job.inflight:
            job.queue.hold(job.worker, job.inflight)
        delta = {k: v for k, v in job.counters.items() if job.reported.get(k) != v}
        if delta:
            job.queue.report(job.worker, dict(job.counters))
            job.reported = Counter(job.counters)
        if (
            state.phase in ("done", "stop")
            and not job.waiting
            and (state.phase == "stop" or not job.inflight)
        ):
            self._stop("finished" if state.phase == "done" else "shutdown")
            return
        if state.phase in ("enumerate", "fill"):
            self.refill(force=not job.inflight)

    def _stop(self, reason: str) -> None:
        """End this worker's crawl (Scrapy's finish reason ``reason``); nothing more is claimed."""
        if self.job.stopped:
            return
        self.job.stopped = True
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))


@dataclass
class WorkerOptions:
    redis_url: str
    name: str | None = None
    wait: float = 0.0
    """Seconds to wait for a census of the case to start (0: as long as it takes)."""
    lease: float = LEASE_SECONDS
    run: int | None = None
    """The run to serve (``census crawl --sites`` says which); None: the case's run that needs it most."""


@dataclass
class WorkerSummary:
    worker: str
    run: int
    reason: str
    pages: int
    items: int
    seconds: float
    counters: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wait_for_run(client: Any, case: str, wait: float, run: int | None = None) -> int:
    """The run to serve: ``run`` once its coordinator has published it, else the case's run that needs a
    worker most (``least_served_run``: several run at once with ``--sites``), waiting for one up to
    ``wait`` s (0: no bound)."""
    deadline = time.monotonic() + wait if wait > 0 else None
    while True:
        named = RedisFrontier(client, case, run) if run is not None else None
        if named is not None and client.exists(named.key("meta"), named.key("phase")):
            return named.run_id  # published, or already ended (its phase stays a while): joined or said
        current = least_served_run(client, case) if run is None else None
        if current is not None:
            return current
        if deadline is not None and time.monotonic() > deadline:
            raise UnmaskError(
                f"no census of this case started within {wait:g} s (start one with census crawl)"
            )
        time.sleep(POLL_SECONDS)


class Heartbeat(threading.Thread):
    """Renews the worker's liveness key from its own thread (a long store transaction does not stop it)."""

    def __init__(self, frontier: RedisFrontier, worker: str, lease: float) -> None:
        super().__init__(name="census-heartbeat", daemon=True)
        self.frontier, self.worker, self.lease = frontier, worker, lease
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.frontier.alive(self.worker, int(self.lease * 1000))
            except Exception as exc:  # Redis away for a moment: the next beat tries again
                log.warning("heartbeat failed: %s", exc)
            self.stopped.wait(self.lease / 4)


def run_worker(case: Case, opts: WorkerOptions) -> WorkerSummary:
    """Join the case's current census as one worker until the coordinator says it is done."""
    client = connect(opts.redis_url)
    ckey = case_key(case.config.secret)
    run_id = wait_for_run(client, ckey, opts.wait, opts.run)
    frontier = RedisFrontier(client, ckey, run_id, opts.lease)
    meta = frontier.meta()
    if meta is None:
        raise UnmaskError("the census this worker was to join has ended")
    name = worker_name(opts.name)
    heartbeat = Heartbeat(frontier, name, opts.lease)
    heartbeat.start()
    try:
        return _crawl(case, frontier, meta, name, opts)
    finally:
        heartbeat.stopped.set()


def _crawl(
    case: Case, frontier: RedisFrontier, meta: dict[str, Any], name: str, opts: WorkerOptions
) -> WorkerSummary:
    base = meta["base"]
    extractor = load_extractor(meta["adapter_source"], base_url=base)
    delay, concurrency = float(meta["delay"]), int(meta["concurrency"])
    fetch = replace(
        case.config.fetch, delay=delay, concurrency=concurrency, obey_robots=bool(meta["obey_robots"])
    )
    crawl_settings = case.config.crawl
    request_limit = int(meta["max_requests"])
    own = own_connections(concurrency, int(meta.get("workers") or 0))
    writer = WorkerWriter(
        case.store,
        int(meta["platform_id"]),
        frontier.run_id,
        crawl_settings,
        incremental=bool(meta["incremental"]),
        frontier=frontier,
        worker=name,
        request_limit=request_limit,
    )
    recorder = EvidenceRecorder(
        case.warc_dir,
        case.store,
        purpose="census",
        run_id=frontier.run_id,
        rotate_bytes=fetch.warc_rotate_bytes,
        writer_name=name,
    )
    transport = Transport(
        fetch, recorder, scope=Scope.for_site(meta["url"], allow_private=fetch.allow_private_addresses)
    )
    job = WorkerJob(
        writer=writer,
        extractor=extractor,
        start_url=meta["start_url"],
        robots_url=meta["robots_url"],
        phase=meta.get("phase", "enumerate"),
        max_requests=request_limit or crawl_settings.max_requests,
        window=max(WINDOW_PER_CONNECTION * own, 8),
        commit_pages=max(1, crawl_settings.commit_pages),
        low_water=own,
        commit_seconds=crawl_settings.commit_seconds,
        frontier=frontier,
        worker=name,
        delay=delay,
        concurrency=concurrency,
        lease=opts.lease,
        redis_url=opts.redis_url,
    )
    with _profiled(name):
        end = run_session(
            case,
            replace(fetch, delay=0.0),  # the delay is kept in Redis for all workers, not by this Scrapy
            recorder,
            NoProgress(),
            pipeline=WorkerPipeline,
            crawler=lambda settings: CensusCrawler(CensusSpider, settings, transport=transport, job=job),
            log_name=f"crawl-run-{frontier.run_id}-{name}",
            extra_settings={
                # no more requests in this worker than the host's slots: the rest wait as rows, not requests
                "CONCURRENT_REQUESTS": own,
                "DOWNLOADER_MIDDLEWARES": {
                    GlobalPoliteness: 950,
                    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                    SharedRobots: 100,  # robots.txt fetched once for all workers
                },
            },
            extractor=extractor,
            base_url=base,
        )
    frontier.report(name, dict(job.counters))
    return WorkerSummary(
        worker=name,
        run=frontier.run_id,
        reason=end.reason or "stopped",
        pages=job.counters["pages"],
        items=job.counters["items"],
        seconds=round(end.seconds, 2),
        counters=dict(job.counters),
    )


def own_connections(concurrency: int, workers: int) -> int:
    """Requests one worker sends at once: its share of the host's connections (the run's local workers
    share them), at least 2. A worker that admitted all of them made the others' requests wait for slots
    it held, and while its event loop was busy (storing a sitemap's thousands of links takes seconds) those
    slots stood still: its responses were read, and the slots given back, only when the loop was free.
    Workers that join beyond the run's count still share the host's slots in Redis: politeness holds."""
    if workers <= 1:
        return concurrency
    return min(concurrency, max(2, -(-concurrency // workers)))


PROFILE_ENV = "UNMASK_PROFILE_DIR"
"""When set (a folder), each worker writes a cProfile of its crawl there (``<worker>.prof``): how the
distributed census was profiled (docs/scale.md)."""


@contextlib.contextmanager
def _profiled(name: str) -> Iterator[None]:
    folder = os.environ.get(PROFILE_ENV)
    if not folder:
        yield
        return
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(os.path.join(folder, f"{name}.prof"))


class NoProgress:
    """A worker shows no progress (the coordinator does, from the counters the workers report)."""

    def __init__(self) -> None:
        self.bars = PhaseBars(False, {})

    def __call__(self, job: Any, *, force: bool = False) -> None:
        pass
