"""Politeness across workers: each host's delay between requests and its concurrency are kept in Redis, so
N workers together send no faster, and hold no more connections, than one process would.

A downloader middleware (last before the download handler) takes a slot before each request and gives it
back with the response or the error; a slot not given back (a worker killed) expires after its lease. The
clock is Redis's own (``TIME``), the same for workers on different machines. The keys are per host, not
per run: every census on this Redis (of any case) that reaches one host shares its slots.

A request that finds every slot held waits, blocked in Redis (``BLPOP`` through ``redis.asyncio``, on a
connection of its own), on the host's list of freed slots: giving a slot back pushes a token there, so a
freed slot goes to the request that waited longest at once, instead of at its next look (polling with a
backoff left slots idle while requests slept). The held slots (a sorted set with each slot's lease) stay
the record, taken and given back atomically; the list only wakes waiters, and a waiter that finds the slot
taken by someone else waits again. A slot whose worker died expires after its lease and a waiter takes it
at its next look (``BUSY_WAIT``).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio as aioredis
from scrapy import Request, Spider, signals
from scrapy.http import Response

from unmask.census.distributed.frontier import ROOT, RedisFrontier

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local delay = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return -1 end
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return nxt - now end
if delay > 0 then redis.call('SET', KEYS[1], now + delay, 'PX', delay + 60000) end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]) + 60000)
return 0
"""
"""Take a slot of host KEYS (next start, held slots) for token ARGV[3]: 0 when taken, else the
milliseconds to wait (-1: all slots held; wait for one to be freed)."""

_GIVE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], 1)
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
  redis.call('PEXPIRE', KEYS[2], 60000)
end
return 1
"""
"""Give back slot ARGV[1] of host KEYS (held slots, freed list): a token for a waiting request (the list
keeps at most ARGV[2], the host's slots: a token nobody waited for wakes one request for nothing later)."""

BUSY_WAIT = 0.25
"""Seconds a request waits for a freed slot before looking again (a slot whose worker died is free only
when its lease expires: no token announces it)."""


class GlobalPoliteness:
    """Scrapy downloader middleware: one delay and one concurrency per host for all workers."""

    def __init__(
        self,
        frontier: RedisFrontier,
        worker: str,
        delay: float,
        concurrency: int,
        lease: float,
        redis_url: str = "",
    ):
        self.frontier = frontier
        self.worker = worker
        self.delay_ms = round(delay * 1000)
        self.concurrency = max(1, concurrency)
        self.lease_ms = int(lease * 1000)
        self._take = frontier.client.register_script(_TAKE)
        self._give = frontier.client.register_script(_GIVE)
        self._tokens = itertools.count(1)
        self.redis_url = redis_url
        self._waiters: aioredis.Redis | None = None
        self.job: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> GlobalPoliteness:
        job = crawler.job
        middleware = cls(job.frontier, job.worker, job.delay, job.concurrency, job.lease, job.redis_url)
        middleware.job = job
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def spider_closed(self, spider: Spider) -> None:
        if self._waiters is not None:
            await self._waiters.aclose()
            self._waiters = None

    def _keys(self, request: Request) -> list[str]:
        host = (urlsplit(request.url).hostname or "").lower()
        # one host's slots for every run and case on this Redis (two cases crawling one site share them)
        prefix = f"{ROOT}:host:{host}:"
        return [prefix + "next", prefix + "slots", prefix + "freed"]

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        token = f"{self.worker}:{next(self._tokens)}"
        keys = self._keys(request)
        started = time.monotonic()
        while True:
            args: list[str | int] = [self.delay_ms, self.concurrency, token, self.lease_ms]
            wait = int(self._take(keys=keys[:2], args=args))
            if wait == 0:
                break
            if wait < 0:
                await self._wait_for_a_freed_slot(keys[2])
            else:
                await asyncio.sleep(wait / 1000)
        if self.job is not None:  # in the worker's figures: how long its requests waited for slots
            self.job.slot_wait_seconds += time.monotonic() - started
        request.meta["unmask_slot"] = token
        trace = getattr(getattr(self.job, "writer", None), "trace", None)
        if trace is not None and "row" in request.meta:
            trace.note("sent", [request.meta["row"]])

    async def _wait_for_a_freed_slot(self, freed: str) -> None:
        if not self.redis_url:  # no connection to block on: look again after a while
            await asyncio.sleep(BUSY_WAIT)
            return
        if self._waiters is None:  # one connection per waiting request, as many as Scrapy sends at once
            self._waiters = aioredis.Redis.from_url(
                self.redis_url, decode_responses=True, socket_timeout=BUSY_WAIT + 30
            )
        try:
            await self._waiters.blpop([freed], timeout=BUSY_WAIT)
        except (redis.RedisError, OSError):  # Redis away: the next take rides it out (its client retries)
            await asyncio.sleep(BUSY_WAIT)

    def _give_back(self, request: Request) -> None:
        token = request.meta.pop("unmask_slot", None)
        if token is not None:
            keys = self._keys(request)
            self._give(keys=keys[1:], args=[token, self.concurrency])

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        self._give_back(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        self._give_back(request)
