"""Many platforms, politely: `census crawl --sites FILE` one after the other and over shared workers.

    .venv/bin/python bench/sites_bench.py [--sites 4] [--scale 0.002] [--delay 0.2] [--workers 0,4]
        [--db postgresql://…/postgres]

Each round gets a new case (SQLite, or a new database on ``--db``) and ``--sites`` demo platforms, each
on a loopback address of its own (127.0.0.1, 127.0.0.2, …: politeness is per host), crawled with a
per-host delay of ``--delay`` seconds. ``workers`` 0 is the sites one after the other; N is all of them
at once over N workers (a private redis-server). Printed per round: wall time, requests, requests per
second, and whether every site's census was complete and exact (the demo platform's own figures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from unmask.demo.platform import DemoPlatform
from unmask.demo.server import spawn

UNMASK = [sys.executable, "-m", "unmask"]
FIGURES = ("videos", "photos", "galleries", "views", "uploaders")


def one_round(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    with ExitStack() as stack:
        servers = []
        for i in range(args.sites):
            server = stack.enter_context(spawn(seed=args.seed + i, scale=args.scale, host=f"127.0.0.{i + 1}"))
            server.wait_ready()
            servers.append(server)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="unmask-sites-")))
        case = folder / "case"
        init = [*UNMASK, "init", str(case)]
        if args.db:
            from scale_bench import database  # bench/ is on the path of a bench script

            init += ["--db", stack.enter_context(database(args.db))]
        subprocess.run(init, check=True, capture_output=True)
        listed = folder / "sites.txt"
        listed.write_text("".join(f"{s.url}/ adapter=demo\n" for s in servers), encoding="utf-8")
        command = [*UNMASK, "census", "crawl", "--sites", str(listed), "--case", str(case)]
        command += ["--delay", str(args.delay), "--concurrency", "1", "--json"]
        if workers:
            command += ["--workers", str(workers)]
        started = time.monotonic()
        proc = subprocess.run(command, capture_output=True, text=True)
        wall = time.monotonic() - started
        if proc.returncode != 0:
            raise SystemExit(f"crawl failed: {proc.stderr[-2000:]}")
        summary = json.loads(proc.stdout)
        exact = summary["complete"]
        for i, server in enumerate(servers):
            got = json.loads(
                subprocess.run(
                    [*UNMASK, "stats", "--case", str(case), "--json", "--platform", server.url],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            expected = DemoPlatform(seed=args.seed + i, scale=args.scale).expected_figures()
            exact &= all(got[k] == expected[k] for k in FIGURES)
    requests = summary["totals"]["requests"]
    return {
        "workers": workers,
        "sites": args.sites,
        "delay_s": args.delay,
        "wall_s": round(wall, 1),
        "requests": requests,
        "requests_per_s": round(requests / wall, 1),
        "complete_and_exact": exact,
        "load_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.002)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--workers", default="0,4", help="0: one after the other")
    parser.add_argument("--db", default=None, help="PostgreSQL admin URL (default: SQLite)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    for n in (int(x) for x in args.workers.split(",")):
        print(json.dumps(one_round(args, n)), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
