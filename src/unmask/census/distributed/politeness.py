"""Politeness across workers: each host's delay between requests and its concurrency are kept in Redis, so
N workers together send no faster, and hold no more connections, than one process would.

A downloader middleware (last before the download handler) takes a slot before each request and gives it
back with the response or the error; a slot not given back (a worker killed) expires after its lease. The
clock is Redis's own (``TIME``), the same for workers on different machines. The keys are per host, not
per run: every census on this Redis (of any case) that reaches one host shares its slots.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
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
milliseconds to wait (-1: all slots held; try again shortly)."""

BUSY_WAIT = (0.01, 0.16)
"""Seconds to wait before asking again when every slot of the host is held: doubling from the first to
the second (with jitter), so that many workers waiting for one host do not keep Redis busy."""


class GlobalPoliteness:
    """Scrapy downloader middleware: one delay and one concurrency per host for all workers."""

    def __init__(self, frontier: RedisFrontier, worker: str, delay: float, concurrency: int, lease: float):
        self.frontier = frontier
        self.worker = worker
        self.delay_ms = round(delay * 1000)
        self.concurrency = max(1, concurrency)
        self.lease_ms = int(lease * 1000)
        self._take = frontier.client.register_script(_TAKE)
        self._tokens = itertools.count(1)

    @classmethod
    def from_crawler(cls, crawler: Any) -> GlobalPoliteness:
        job = crawler.job
        return cls(job.frontier, job.worker, job.delay, job.concurrency, job.lease)

    def _keys(self, request: Request) -> list[str]:
        host = (urlsplit(request.url).hostname or "").lower()
        # one host's slots for every run and case on this Redis (two cases crawling one site share them)
        return [f"{ROOT}:host:{host}:next", f"{ROOT}:host:{host}:slots"]

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        token = f"{self.worker}:{next(self._tokens)}"
        keys = self._keys(request)
        busy = BUSY_WAIT[0]
        while True:
            wait = int(self._take(keys=keys, args=[self.delay_ms, self.concurrency, token, self.lease_ms]))
            if wait == 0:
                break
            if wait < 0:
                await asyncio.sleep(busy * random.uniform(0.5, 1.0))
                busy = min(busy * 2, BUSY_WAIT[1])
            else:
                await asyncio.sleep(wait / 1000)
        request.meta["unmask_slot"] = token

    def _give_back(self, request: Request) -> None:
        token = request.meta.pop("unmask_slot", None)
        if token is not None:
            self.frontier.client.zrem(self._keys(request)[1], token)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        self._give_back(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        self._give_back(request)
