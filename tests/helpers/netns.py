"""Run a command inside a network namespace where only loopback exists (``unshare -n``).

Inside, the given addresses are put on ``lo`` (so servers can listen on 11.1.1.1, 10.0.0.1 or
169.254.169.254 without any of it leaving the machine) and a mount namespace gives the command its own
``/etc/hosts``, so names resolve through the ordinary system resolver to those addresses. Needs root
and util-linux's ``unshare`` (as ``make test`` has); tests skip without them.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def available() -> str | None:
    """None when namespaces can be made here; else why not."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = subprocess.run(
        ["unshare", "-n", "-m", "sh", "-c", "ip link set lo up"], capture_output=True, text=True, timeout=20
    )
    return None if probe.returncode == 0 else f"unshare failed: {probe.stderr.strip()[:200]}"


def run_isolated(
    argv: Sequence[str],
    *,
    addresses: Sequence[str] = (),
    hosts: Mapping[str, str | Sequence[str]] | None = None,
    timeout: float = 300,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (from the project root) in a fresh network and mount namespace."""
    with tempfile.TemporaryDirectory() as tmp:
        hosts_file = Path(tmp) / "hosts"
        lines = ["127.0.0.1 localhost", "::1 localhost"]
        for name, ips in (hosts or {}).items():
            lines += [f"{ip} {name}" for ip in ([ips] if isinstance(ips, str) else ips)]
        hosts_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        setup = [f"mount --bind {shlex.quote(str(hosts_file))} /etc/hosts", "ip link set lo up"]
        setup += [f"ip addr add {shlex.quote(a)}/{128 if ':' in a else 32} dev lo" for a in addresses]
        script = " && ".join(setup) + ' && exec "$@"'
        return subprocess.run(
            ["unshare", "-n", "-m", "sh", "-c", script, "sh", *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
