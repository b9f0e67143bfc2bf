"""The Redis queue's promises, on a real redis-server: a claimed row goes to one worker only, an
acknowledgement releases only the acknowledging worker's own claim, and queued rows keep frontier order."""

from __future__ import annotations

from tests.helpers.redis_server import RedisServer
from unmask.census.distributed.frontier import RedisFrontier, connect
from unmask.census.model import PageKind
from unmask.census.writer import FrontierRow


def _row(i: int) -> FrontierRow:
    return FrontierRow(i, f"http://127.0.0.1/p/{i}", PageKind.PAGE, None, None, 1, 0, None)


def test_a_claimed_row_goes_to_one_worker_and_only_its_holder_releases_it(redis: RedisServer) -> None:
    queue = RedisFrontier(connect(redis.url), "case", 1)
    queue.push([_row(3), _row(1), _row(2)])
    queue.mark_loaded()
    first = queue.claim("a", 2)
    assert [r.id for r in first] == [1, 2]  # frontier order, whatever the order of pushing
    assert [r.id for r in queue.claim("b", 5)] == [3]
    assert queue.claim("b", 5) == []
    queue.release({1: "a"}, [_row(1)])  # worker a died: its pending row goes back to the queue
    assert [r.id for r in queue.claim("b", 5)] == [1]
    queue.ack("a", [1])  # a late acknowledgement of a row that is b's now does not free it
    assert queue.claims()[1] == "b"
    queue.push([_row(1)])  # a row some worker holds is not queued twice
    assert queue.state().pending == 0
    queue.ack("b", [1, 3], [_row(4)])
    state = queue.state()
    assert (state.pending, state.inflight) == (1, 1)  # row 2 still held by a; row 4 queued


def test_the_request_limit_holds_across_workers(redis: RedisServer) -> None:
    queue = RedisFrontier(connect(redis.url), "case", 1)
    queue.push([_row(i) for i in range(1, 11)])
    got = queue.claim("a", 4, limit=6) + queue.claim("b", 4, limit=6) + queue.claim("a", 4, limit=6)
    assert len(got) == 6 and queue.state().claimed == 6
