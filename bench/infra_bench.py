"""Infrastructure scan benchmark: 1,000 domains against a real DNS server (Knot) and nginx on loopback.

    .venv/bin/python bench/infra_bench.py [--domains 1000] [--rows 300000] [--skip-changes]

Prints, for a scan of every domain through the `unmask` command (start-up included):
  * a full scan (every available source that needs no --active: DNS, networks, web, certificate,
    masking …; HTTP and TLS go to nginx at the addresses the loopback resolver gave),
  * a --dns-only scan,
  * a second full scan (the one that computes changes against the first),
then the time of `unmask infra changes DOMAIN --json` on a case holding --rows observations.

Nothing leaves the machine: every zone resolves to 127.0.0.0/8, RDAP and certificate-transparency
URLs point at a loopback port. To prove it, run the benchmark in a network namespace with only
loopback: ``unshare -n sh -c 'ip link set lo up && .venv/bin/python bench/infra_bench.py'``.
Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host_platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.dns_server import DnsServer
from tests.helpers.nginx_server import NginxServer, VHost, page

UNMASK = [sys.executable, "-m", "unmask"]
ADDRESSES = 4


def domains(n: int) -> list[str]:
    return [f"site{i:04d}.bench-test" for i in range(n)]


def start_web(workdir: Path) -> NginxServer:
    web = NginxServer(workdir / "nginx")
    web.add_certificate("bench", "site0000.bench-test", ["*.bench-test"])
    for n in range(ADDRESSES):
        headers = {"CF-RAY": "8a1b2c3d4e5f-FRA", "Server": "cloudflare"} if n == 0 else {}
        web.add_vhost(
            VHost(
                (f"site{n:04d}.bench-test",),
                (web.address(10 + n),),
                cert="bench",
                files={"/index.html": page(f"Invented site {n}", "An invented page. " * 50)},
                headers=headers,
            )
        )
    web.start()
    return web


def start_dns(workdir: Path, names: list[str], web: NginxServer, generation: int) -> DnsServer:
    dns = DnsServer(workdir / "dns")
    configure_dns(dns, names, web, generation)
    dns.start(timeout=120)
    return dns


def configure_dns(dns: DnsServer, names: list[str], web: NginxServer, generation: int) -> None:
    rng = random.Random(generation)
    for i, name in enumerate(names):
        address = web.address(10 + (i + (generation if rng.random() < 0.1 else 0)) % ADDRESSES)
        dns.zone(
            name,
            [
                f"@ A {address}",
                f"@ NS ns{generation % 2 + 1}.dns-bench.test.",
                "@ MX 10 mail.dns-bench.test.",
                '@ TXT "v=spf1 -all"',
                f'@ TXT "google-site-verification=bench{i:04d}"',
                '@ CAA 0 issue "letsencrypt.org"',
                f"www CNAME {name}.",
            ],
        )


def make_case(workdir: Path, dns: DnsServer, web: NginxServer) -> Path:
    case = workdir / "case"
    subprocess.run([*UNMASK, "init", str(case)], check=True, capture_output=True)
    path = case / "case.yaml"
    config = yaml.safe_load(path.read_text())
    config["fetch"].update({"delay": 0.0, "retries": 0, "connect_timeout": 5.0, "read_timeout": 10.0})
    config["fetch"]["allow_private_addresses"] = True  # every bench name resolves to loopback
    loopback = f"http://127.0.0.1:{web.status_port}/nothing-here/"
    config["infra"].update(
        {
            "resolver": dns.resolver,
            "concurrency": 64,
            "sources": {"rdap": {"base_url": loopback}, "ct": {"url": loopback}},
        }
    )
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return case


def timed(args: list[str]) -> tuple[float, Any]:
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:6])} … exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return elapsed, json.loads(proc.stdout) if proc.stdout.strip().startswith(("{", "[")) else None


def scan_figures(case: Path, names: list[str], *extra: str) -> dict[str, Any]:
    list_file = case / "domains.txt"
    list_file.write_text("\n".join(names))
    seconds, result = timed([*UNMASK, "infra", "scan", *names, "--case", str(case), "--json", *extra])
    observations = sum(len(d["observations"]) for d in result["domains"])
    failures = sum(len(d["failures"]) for d in result["domains"])
    skipped = [s["path"].rsplit(":", 1)[-1] for s in result["skipped_sources"]]
    return {
        "seconds": round(seconds, 2),
        "domains_per_second": round(len(names) / seconds, 1),
        "observations": observations,
        "failures": failures,
        "skipped_sources": skipped,
    }


def fill_case(case: Path, rows: int) -> str:
    """Add synthetic history: ``rows`` observations and a snapshot per scan over many domains."""
    import datetime as dt

    from sqlalchemy import insert

    from unmask.core.case import Case
    from unmask.infra.tables import InfraObservation, InfraScan, InfraSnapshot, value_key

    the_case = Case.open(case)
    store = the_case.store
    per_domain = 20
    n_domains = max(1, rows // per_domain)
    scans = 30
    start = dt.datetime(2025, 1, 1)
    with store.session() as s:
        scan_ids = []
        for k in range(scans):
            row = InfraScan(domains="[]", options='{"kind": "bench"}', status="complete")
            row.started_at = start + dt.timedelta(days=k)
            s.add(row)
            s.flush()
            scan_ids.append(row.id)
    batch: list[dict[str, Any]] = []
    snaps: list[dict[str, Any]] = []
    with store.session() as s:
        for d in range(n_domains):
            domain = f"filler{d:06d}.bench-test"
            for j in range(per_domain):
                value = f"10.{d % 250}.{j}.{d % 200}"
                batch.append(
                    {
                        "domain": domain,
                        "subject": domain,
                        "kind": "dns.a",
                        "value": value,
                        "value_key": value_key(value),
                        "detail": None,
                        "source": "dns",
                        "origin": "scan",
                        "first_seen": start,
                        "last_seen": start + dt.timedelta(days=j),
                        "first_scan_id": scan_ids[0],
                        "last_scan_id": scan_ids[j % scans],
                        "capture_id": None,
                    }
                )
            if d % 20 == 0:
                for k, scan_id in enumerate(scan_ids):
                    snaps.append(
                        {
                            "scan_id": scan_id,
                            "domain": domain,
                            "kind": "ip",
                            "time": start + dt.timedelta(days=k),
                            "values": json.dumps([f"10.0.0.{k // 3}"]),
                        }
                    )
            if len(batch) >= 20000:
                s.execute(insert(InfraObservation), batch)
                batch = []
        if batch:
            s.execute(insert(InfraObservation), batch)
        if snaps:
            s.execute(insert(InfraSnapshot), snaps)
    the_case.close()
    return "filler000000.bench-test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--skip-changes", action="store_true")
    args = parser.parse_args()
    names = domains(args.domains)
    figures: dict[str, Any] = {
        "machine": f"{host_platform.machine()}, {os.cpu_count()} cores, "
        f"Python {host_platform.python_version()}",
        "domains": len(names),
    }
    with tempfile.TemporaryDirectory(prefix="unmask-infra-bench-") as tmp:
        work = Path(tmp)
        web = start_web(work)
        dns = start_dns(work, names, web, generation=0)
        try:
            case = make_case(work, dns, web)
            figures["full_scan"] = scan_figures(case, names)
            figures["dns_only_scan"] = scan_figures(case, names, "--dns-only")
            configure_dns(dns, names, web, generation=1)
            dns.reload()
            figures["second_full_scan"] = scan_figures(case, names)
            seconds, found = timed([*UNMASK, "infra", "changes", names[0], "--case", str(case), "--json"])
            figures["changes_after_two_scans"] = {"seconds": round(seconds, 2), "events": len(found or [])}
            if not args.skip_changes:
                domain = fill_case(case, args.rows)
                seconds, found = timed([*UNMASK, "infra", "changes", domain, "--case", str(case), "--json"])
                figures["changes_query"] = {
                    "observation_rows": args.rows,
                    "seconds_with_startup": round(seconds, 2),
                    "events": len(found or []),
                }
                seconds, _ = timed([*UNMASK, "infra", "related", domain, "--case", str(case), "--json"])
                figures["related_query"] = {"seconds_with_startup": round(seconds, 2)}
        finally:
            dns.stop()
            web.stop()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
