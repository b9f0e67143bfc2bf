"""The run's work queue in Redis: pending frontier rows, claims with leases, acknowledgements.

The store stays the record: a row is ``pending`` in the store until the page's own transaction stores it,
so Redis only says *who works on what now*. A worker claims rows (``claim``), stores each page whole, and
only then acknowledges it (``ack``, together with the rows the page added); a worker that dies leaves its
claims behind, which the coordinator gives back to the queue once the worker's liveness key has expired
(``orphans``), re-queuing only rows the store still has pending. A Redis restart that lost the queue is
seen by the missing ``loaded`` mark; the coordinator then rebuilds the queue from the store's pending rows.

Keys, under ``unmask:<case key>``: ``current`` (the run published last), ``runs`` (every run being crawled:
``census crawl --sites`` crawls several platforms of the case at once) and, per run, ``…:<run>:`` +
``meta`` (the run's options), ``pending`` (sorted set: row id by row id, the store's frontier order),
``rows`` (row id → the row as JSON), ``inflight`` (row id → worker), ``claimed`` (rows handed out this
session, for the request limit), ``loaded``, ``phase``, ``alive:<worker>``, ``counters:<worker>``,
``unreachable`` (URL → error of a start page that got no response), ``chain:<chain>`` (pagination memory),
``claimants`` (worker → when it last claimed: who shares the queue), ``wake`` (tokens for waiting workers).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from unmask.census.model import ItemKind, PageKind
from unmask.census.writer import FrontierRow
from unmask.core.errors import UnmaskError
from unmask.core.secrets import redact_text

ROOT = "unmask"
PHASES = ("enumerate", "fill", "done", "stop")
"""The run's phase as the workers see it: ``done`` (no work left) and ``stop`` (interrupted, or the start
page cannot be reached) end the workers."""

_CLAIM = """
local n = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[5], now, ARGV[1])
redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[4]) * 4)
local claimed = tonumber(redis.call('GET', KEYS[4]) or '0')
if limit > 0 and claimed + n > limit then n = limit - claimed end
if n <= 0 then return {} end
local pending = redis.call('ZCARD', KEYS[1])
if pending == 0 then return {} end
local live = redis.call('ZCOUNT', KEYS[5], now - tonumber(ARGV[4]), '+inf')
if live > 1 then
  local held, mine = 0, 0
  for _, w in ipairs(redis.call('HVALS', KEYS[3])) do
    held = held + 1
    if w == ARGV[1] then mine = mine + 1 end
  end
  local room = math.max(math.ceil((pending + held) / live) - mine, mine == 0 and 1 or 0)
  if n > room then n = room end
  if n <= 0 then return {} end
end
local ids = redis.call('ZRANGE', KEYS[1], 0, n - 1)
redis.call('ZREM', KEYS[1], unpack(ids))
local out = {}
for _, id in ipairs(ids) do
  redis.call('HSET', KEYS[3], id, ARGV[1])
  out[#out + 1] = redis.call('HGET', KEYS[2], id)
end
redis.call('INCRBY', KEYS[4], #ids)
return out
"""
"""Take up to n pending rows for worker ARGV[1] (within the session's request limit ARGV[3], 0: none), and
no more than its fair share when other workers claimed within the last ARGV[4] ms (KEYS[5]: worker → when
it last asked): the rows queued and held, divided by the workers, less what it holds. So a page that adds
one row (the next page of a pagination chain) leaves it to an idle worker, woken by ``wake``, instead of
the worker holding every chain while the others wait."""

_ACK = """
local done = tonumber(ARGV[2])
for i = 3, 2 + done do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[3], id) == ARGV[1] then
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[2], id)
  end
end
local added = 0
for i = 3 + done, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[3], id) == 0 then
    redis.call('HSET', KEYS[2], id, ARGV[i + 1])
    redis.call('ZADD', KEYS[1], tonumber(id), id)
    added = added + 1
  end
end
if added > 0 then
  redis.call('DEL', KEYS[4])
  for i = 1, math.min(added, 16) do redis.call('RPUSH', KEYS[4], i) end
  redis.call('PEXPIRE', KEYS[4], 2000)
end
return 1
"""
"""Queue new rows (ARGV after the acknowledged ids: id, row pairs; a row some worker holds stays with it)
and release worker ARGV[1]'s claims on the ARGV[2] ids that follow, in one step: the queue is never seen
empty between a page's acknowledgement and the rows it added. Rows queued put wake-up tokens into KEYS[4],
which waiting workers pop (``BLPOP``): they claim them at once instead of at their next poll."""

_REMEMBER = """
local known = redis.call('SMISMEMBER', KEYS[1], unpack(ARGV))
local added = {}
for i = 1, #ARGV do
  if known[i] == 0 then added[#added + 1] = ARGV[i] end
end
if #added > 0 then redis.call('SADD', KEYS[1], unpack(added)) end
return added
"""
"""Add the digests ARGV to the chain's set (two commands, however many): returns those new to it."""
REMEMBER_CHUNK = 1000
"""Digests per call (Lua's unpack takes a few thousand at most)."""


def case_key(secret: str) -> str:
    """A case's name in Redis: every copy of its case.yaml (on any machine) gives the same one."""
    return hashlib.sha256(f"unmask-redis:{secret}".encode()).hexdigest()[:16]


def worker_name(given: str | None = None) -> str:
    """A worker's name (its WARC files and its claims carry it): given, or host and process id."""
    name = given or f"{socket.gethostname()}-{os.getpid()}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:60] or str(os.getpid())


OUTAGE_RETRIES = 40
"""Attempts of one Redis command while Redis is away (a restart): backing off up to 1 s, about 40 s in all;
meanwhile the worker waits (its pages stay in flight, nothing is lost)."""


def connect(url: str) -> redis.Redis:
    """A Redis client for ``url`` (redis://, rediss://, unix://) that rides out a restart of Redis; it
    answers a ping or raises."""
    client = redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=30,
        socket_connect_timeout=5,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), OUTAGE_RETRIES),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError],
    )
    try:  # once without the retries: a wrong address is said at once
        with redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5) as probe:
            probe.ping()
    except redis.RedisError as exc:
        raise UnmaskError(f"cannot reach Redis: {redact_text(str(exc))}", where=redact_text(url)) from exc
    return client


def dump_row(row: FrontierRow) -> str:
    return json.dumps(
        {
            "id": row.id,
            "url": row.url,
            "kind": row.kind.value,
            "item_kind": row.item_kind.value if row.item_kind else None,
            "chain": row.chain,
            "depth": row.depth,
            "barren": row.barren,
            "parent_key": row.parent_key,
        },
        separators=(",", ":"),
    )


def load_row(text: str) -> FrontierRow:
    data = json.loads(text)
    return FrontierRow(
        id=int(data["id"]),
        url=data["url"],
        kind=PageKind(data["kind"]),
        item_kind=ItemKind(data["item_kind"]) if data["item_kind"] else None,
        chain=data["chain"],
        depth=int(data["depth"]),
        barren=int(data["barren"]),
        parent_key=data["parent_key"],
    )


@dataclass(frozen=True)
class QueueState:
    """One consistent look at the queue (read in one transaction)."""

    pending: int
    inflight: int
    claimed: int
    loaded: bool
    phase: str | None
    coordinator: bool = True

    @property
    def idle(self) -> bool:
        return self.loaded and self.inflight == 0


class RedisFrontier:
    """The queue of one run of one case."""

    def __init__(self, client: redis.Redis, case: str, run_id: int, lease: float = 10.0) -> None:
        self.client = client
        self.lease_ms = int(lease * 1000)
        """How long a worker that last claimed counts among those sharing the queue (its lease)."""
        self.case = case
        self.run_id = run_id
        self.prefix = f"{ROOT}:{case}:{run_id}:"
        self._claim = client.register_script(_CLAIM)
        self._ack = client.register_script(_ACK)
        self._remember = client.register_script(_REMEMBER)

    def key(self, name: str) -> str:
        return self.prefix + name

    @property
    def wake_key(self) -> str:
        """A list that gets tokens when rows are queued: a waiting worker pops one (``BLPOP``) and claims."""
        return self.key("wake")

    # -- the run, as the coordinator publishes it -------------------------------------------------

    @staticmethod
    def current_key(case: str) -> str:
        return f"{ROOT}:{case}:current"

    def publish(self, meta: dict[str, Any], phase: str) -> None:
        """Make this run the case's current one, with its options and phase (what workers read)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.key("meta"), json.dumps(meta, sort_keys=True))
        pipe.set(self.key("phase"), phase)
        pipe.set(self.current_key(self.case), str(self.run_id))
        pipe.sadd(self.runs_key(self.case), str(self.run_id))
        pipe.execute()

    @staticmethod
    def runs_key(case: str) -> str:
        return f"{ROOT}:{case}:runs"

    def meta(self) -> dict[str, Any] | None:
        raw = cast(str | None, self.client.get(self.key("meta")))
        return json.loads(raw) if raw else None

    def new_session(self) -> None:
        """A new session of the run: its request limit counts afresh; stale claims and queue are dropped
        (the store has every row's status, and the queue is rebuilt from it)."""
        names = ("pending", "rows", "inflight", "claimed", "loaded", "unreachable", "claimants", "wake")
        self.client.delete(*(self.key(n) for n in names))
        for key in self.client.scan_iter(match=self.key("counters:*"), count=500):
            self.client.delete(key)

    def set_phase(self, phase: str) -> None:
        assert phase in PHASES
        self.client.set(self.key("phase"), phase)

    def phase(self) -> str | None:
        """The run's phase; None when Redis does not know it (it restarted and the coordinator has not
        published the run again yet): workers go on with what they hold."""
        return cast(str | None, self.client.get(self.key("phase")))

    def close(self, phase: str) -> None:
        """The session is over: the case has no current run and the run's keys go (the store has the
        record), except its final phase, kept an hour for workers still to notice it."""
        self.client.srem(self.runs_key(self.case), str(self.run_id))
        if self.client.get(self.current_key(self.case)) == str(self.run_id):
            self.client.delete(self.current_key(self.case))
        keys = [
            k for k in self.client.scan_iter(match=self.prefix + "*", count=1000) if k != self.key("phase")
        ]
        for i in range(0, len(keys), 500):
            self.client.delete(*keys[i : i + 500])
        self.client.set(self.key("phase"), phase, ex=3600)

    # -- the queue --------------------------------------------------------------------------------

    def push(self, rows: Iterable[FrontierRow]) -> int:
        """Queue rows (a row some worker holds stays with it); returns how many were given."""
        return self._settle("", (), rows)

    def mark_loaded(self) -> None:
        self.client.set(self.key("loaded"), "1")

    def claim(self, worker: str, n: int, limit: int = 0) -> list[FrontierRow]:
        """Up to ``n`` pending rows for ``worker``, in frontier order (``limit``: rows per session)."""
        if n <= 0:
            return []
        raw = self._claim(
            keys=[
                self.key("pending"),
                self.key("rows"),
                self.key("inflight"),
                self.key("claimed"),
                self.key("claimants"),
            ],
            args=[worker, n, limit, self.lease_ms],
        )
        return [load_row(text) for text in cast(list[str], raw) if text]

    def ack(self, worker: str, done: Sequence[int], new_rows: Iterable[FrontierRow] = ()) -> None:
        """The store has these rows' pages (done) and the rows they added (new_rows): one step."""
        self._settle(worker, done, new_rows)

    def _settle(self, worker: str, done: Sequence[int], new_rows: Iterable[FrontierRow]) -> int:
        args: list[Any] = [worker, len(done), *done]
        given = 0
        for row in new_rows:
            args += [row.id, dump_row(row)]
            given += 1
        if done or given:
            keys = [self.key("pending"), self.key("rows"), self.key("inflight"), self.wake_key]
            self._ack(keys=keys, args=args)
        return given

    def hold(self, worker: str, ids: Iterable[int]) -> None:
        """Say again which rows ``worker`` holds (after a Redis restart lost the claims)."""
        mapping: dict[str | bytes, str | bytes] = {str(i): worker for i in ids}
        if mapping:
            self.client.hset(self.key("inflight"), mapping=cast(Any, mapping))

    def state(self) -> QueueState:
        pipe = self.client.pipeline(transaction=True)
        pipe.zcard(self.key("pending"))
        pipe.hlen(self.key("inflight"))
        pipe.get(self.key("claimed"))
        pipe.exists(self.key("loaded"))
        pipe.get(self.key("phase"))
        pipe.exists(self.key("coordinator"))
        pending, inflight, claimed, loaded, phase, coordinator = pipe.execute()
        return QueueState(
            int(pending), int(inflight), int(claimed or 0), bool(loaded), phase, bool(coordinator)
        )

    def recount(self, settled: int) -> int:
        """After Redis lost the run: the session's claimed rows (its request limit's count) are the rows it
        settled in the store (``settled``) and those workers say they hold now. (A page stored between the
        store's count and this step is counted in neither: the limit can be passed by those few.)"""
        return int(
            cast(
                int,
                self.client.eval(
                    "local n = tonumber(ARGV[1]) + redis.call('HLEN', KEYS[2]) "
                    "redis.call('SET', KEYS[1], n) return n",
                    2,
                    self.key("claimed"),
                    self.key("inflight"),
                    settled,
                ),
            )
        )

    def claims(self) -> dict[int, str]:
        raw = cast(dict[str, str], self.client.hgetall(self.key("inflight")))
        return {int(k): v for k, v in raw.items()}

    def release(self, held: dict[int, str], requeue: Iterable[FrontierRow]) -> None:
        """Drop the claims of dead workers (``held``: row → worker) and queue again what is still pending."""
        pipe = self.client.pipeline(transaction=True)
        for row_id, _worker in held.items():
            pipe.hdel(self.key("inflight"), str(row_id))
            pipe.hdel(self.key("rows"), str(row_id))
        pipe.execute()
        self.push(requeue)

    # -- workers ----------------------------------------------------------------------------------

    def coordinating(self, ttl_ms: int) -> None:
        """The coordinator is alive (workers whose coordinator is gone stop instead of waiting forever)."""
        self.client.set(self.key("coordinator"), "1", px=ttl_ms)

    def alive(self, worker: str, ttl_ms: int) -> None:
        self.client.set(self.key(f"alive:{worker}"), "1", px=ttl_ms)

    def living(self, workers: Iterable[str]) -> set[str]:
        names = sorted(set(workers))
        if not names:
            return set()
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.exists(self.key(f"alive:{name}"))
        return {name for name, up in zip(names, pipe.execute(), strict=True) if up}

    def workers(self) -> list[str]:
        n = len(self.key("alive:"))
        return sorted(k[n:] for k in self.client.scan_iter(match=self.key("alive:*"), count=500))

    def report(self, worker: str, counters: dict[str, int]) -> None:
        if counters:
            self.client.hset(self.key(f"counters:{worker}"), mapping={k: int(v) for k, v in counters.items()})

    def counters(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        n = len(self.key("counters:"))
        for key in self.client.scan_iter(match=self.key("counters:*"), count=500):
            raw = cast(dict[str, str], self.client.hgetall(key))
            out[key[n:]] = {k: int(v) for k, v in raw.items()}
        return out

    def no_response(self, url: str, error: str, watched: tuple[str, str]) -> bool:
        """Note that ``url`` got no response; True when both ``watched`` URLs (robots.txt and the start
        page) have none, whichever workers fetched them."""
        if url in watched:
            self.client.hset(self.key("unreachable"), url, error)
        return all(cast(int, self.client.hexists(self.key("unreachable"), u)) for u in watched)

    def unreachable(self) -> dict[str, str]:
        return cast(dict[str, str], self.client.hgetall(self.key("unreachable")))

    # -- pagination memory shared by the workers --------------------------------------------------

    def remember(self, chain: str, digests: Sequence[str]) -> list[str]:
        """Add item digests to a pagination chain's memory; returns those new to it."""
        added: list[str] = []
        for i in range(0, len(digests), REMEMBER_CHUNK):
            chunk = list(digests[i : i + REMEMBER_CHUNK])
            added += cast(list[str], self._remember(keys=[self.key(f"chain:{chain}")], args=chunk))
        return added

    def forget(self, chain: str, digests: Sequence[str]) -> None:
        if digests:
            self.client.srem(self.key(f"chain:{chain}"), *digests)

    # -- what an operator sees --------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The run as the workers share it now: phase, queue, and each worker's progress and liveness."""
        state = self.state()
        living = set(self.workers())
        counters = self.counters()
        return {
            "run": self.run_id,
            "phase": state.phase,
            "pending": state.pending,
            "inflight": state.inflight,
            "claimed": state.claimed,
            "workers": [
                {
                    "name": name,
                    "alive": name in living,
                    "pages": counters.get(name, {}).get("pages", 0),
                    "items": counters.get(name, {}).get("items", 0),
                    "failed": counters.get(name, {}).get("failed", 0),
                }
                for name in sorted(living | set(counters))
            ],
        }


def live_run(client: redis.Redis, case: str) -> RedisFrontier | None:
    """The case's census running now over this Redis, if any."""
    current = cast(str | None, client.get(RedisFrontier.current_key(case)))
    return RedisFrontier(client, case, int(current)) if current else None


def live_runs(client: redis.Redis, case: str) -> list[RedisFrontier]:
    """Every census run of the case crawled now over this Redis (several with ``--sites``), oldest first."""
    ids = {int(r) for r in cast(set[str], client.smembers(RedisFrontier.runs_key(case)))}
    current = live_run(client, case)
    if current is not None:
        ids.add(current.run_id)
    return [RedisFrontier(client, case, run_id) for run_id in sorted(ids)]


def least_served_run(client: redis.Redis, case: str) -> int | None:
    """The run a worker that joins the case should serve: of the runs still at work (not done or
    stopped), the one with the fewest living workers, then the most rows waiting; None when there is none."""
    best: tuple[int, int, int] | None = None
    for run in live_runs(client, case):
        state = run.state()
        if state.phase is None or state.phase in ("done", "stop"):
            continue
        rank = (len(run.workers()), -state.pending, run.run_id)
        if best is None or rank < best:
            best = rank
    return best[2] if best is not None else None
