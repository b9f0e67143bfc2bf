"""The census over several workers (docs/scale.md): the frontier's work queue in Redis, the store (PostgreSQL)
the record of every page and item.

* ``frontier``: the run's pending rows as a Redis queue with claims (leases) and acknowledgements, the
  shared pagination memory, worker liveness, the run's published options;
* ``politeness``: per-host delay and concurrency held in Redis, so all workers together are as polite as one;
* ``worker``: one Scrapy process that claims rows, fetches, stores each page whole, then acknowledges it;
* ``coordinator``: opens the run, seeds it, moves it through its phases, re-queues the rows of dead workers,
  rebuilds the queue from the store after a Redis restart, and settles the run's verdict.
"""
