"""The queue keeps two workers busy: a worker takes no more than its share of the rows while another
worker has none, and an acknowledgement that queues rows wakes the workers waiting for them."""

from __future__ import annotations

from tests.helpers.redis_server import RedisServer
from unmask.census.distributed.frontier import RedisFrontier, connect
from unmask.census.model import PageKind
from unmask.census.writer import FrontierRow


def _row(i: int) -> FrontierRow:
    return FrontierRow(i, f"http://127.0.0.1/p/{i}", PageKind.LISTING, None, f"chain{i}", 1, 0, None)


def test_the_next_page_of_a_chain_goes_to_the_worker_that_holds_nothing(redis: RedisServer) -> None:
    client = connect(redis.url)
    queue = RedisFrontier(client, "case", 1)
    queue.push([_row(1), _row(2)])
    assert [r.id for r in queue.claim("a", 10)] == [1, 2]  # alone: a takes what there is
    assert queue.claim("b", 10) == []  # b is idle (and now counts among the workers)
    client.delete(queue.wake_key)
    queue.ack("a", [1], [_row(3)])  # a stored a chain's page: its next page is queued
    assert client.lpop(queue.wake_key) is not None  # a waiting worker is woken
    assert queue.claim("a", 10) == []  # a holds its share (row 2): the new row is not a's
    assert [r.id for r in queue.claim("b", 10)] == [3]


def test_a_busy_queue_is_shared_by_halves_and_a_lone_worker_takes_all(redis: RedisServer) -> None:
    queue = RedisFrontier(connect(redis.url), "case", 1)
    queue.push([_row(i) for i in range(1, 21)])
    assert len(queue.claim("a", 4)) == 4  # within its window, whatever the share
    assert queue.claim("b", 0) == []
    assert len(queue.claim("b", 64)) == 10  # (16 queued + 4 held) / 2 workers
    assert len(queue.claim("a", 64)) == 6  # its share, less the 4 it holds
    other = RedisFrontier(connect(redis.url), "case", 2)
    other.push([_row(i) for i in range(1, 21)])
    assert len(other.claim("c", 64)) == 20  # the only worker of its run


def test_the_request_limit_count_is_rebuilt_after_redis_lost_it(redis: RedisServer) -> None:
    client = connect(redis.url)
    queue = RedisFrontier(client, "case", 1)
    queue.push([_row(i) for i in range(1, 11)])
    assert len(queue.claim("a", 6, limit=8)) == 6
    client.flushall()  # Redis restarted: the queue and the session's count are gone
    queue.hold("a", [5, 6])  # the worker says again what it holds
    queue.push([_row(i) for i in range(7, 11)])  # the coordinator rebuilds the queue from the store
    assert queue.recount(settled=4) == 6  # 4 pages stored this session, 2 held
    assert len(queue.claim("a", 6, limit=8)) == 2  # the limit of 8 holds across the restart
