"""docker-compose.yml, checked without Docker: each service it declares is what scripts/test-services.sh
installs from Debian's packages, each `unmask` command line in it (services and the header's recipe) is
one the CLI accepts, and the same topology, started from those packages (Redis with the compose file's
own arguments, the PostgreSQL test server, workers that wait with the worker service's command, a
coordinator with the header's `--workers 0`), gives the complete census."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.test_documented_commands import parse
from tests.helpers.cli import UNMASK, unmask
from tests.helpers.ports import LOOPBACK, kernel_port
from unmask.cli import command

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
SERVICES_SCRIPT = ROOT / "scripts" / "test-services.sh"
EXPECTED = {"redis", "postgres", "worker", "serve"}
"""The services the issue asks for (Redis, PostgreSQL, N workers, `unmask serve`)."""
DEBIAN = {"redis": "redis-server", "postgres": "postgresql"}
"""The Debian package the tests start in place of each server image."""


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def apt_packages() -> set[str]:
    text = SERVICES_SCRIPT.read_text(encoding="utf-8")
    found = re.search(r"APT_PACKAGES=\(([^)]*)\)", text, re.S)
    assert found, "scripts/test-services.sh has no APT_PACKAGES list"
    return set(found.group(1).split())


def unmask_argv(words: list[str]) -> list[str] | None:
    """The words after `unmask` in a command (also inside ``sh -c "… || unmask …"``), or None."""
    if words[:2] == ["sh", "-c"]:
        inner = shlex.split(words[2].replace("$$", "$"))
        cut = [i for i, w in enumerate(inner) if w in ("||", "&&", ";")]
        words = inner[cut[-1] + 1 :] if cut else inner
    if words and words[0] == "unmask":
        return words[1:]
    return None


def header_commands() -> list[list[str]]:
    """The `docker compose run --rm unmask …` lines of the file's header (a trailing backslash joins the
    next comment line)."""
    lines = [
        line[1:].strip() for line in COMPOSE.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    joined: list[str] = []
    carry = ""
    for line in lines:
        if line.endswith("\\"):
            carry += line[:-1] + " "
            continue
        joined.append(carry + line)
        carry = ""
    out = []
    for line in joined:
        if not line.startswith("docker compose run"):
            continue  # prose
        words = shlex.split(line, comments=True)
        if words[:4] == ["docker", "compose", "run", "--rm"] and words[4:5] == ["unmask"]:
            out.append(words[5:])
    return out


def test_every_service_the_issue_names_is_declared_and_each_server_is_a_debian_package_the_tests_start() -> (
    None
):
    services = compose()["services"]
    assert set(services) >= EXPECTED
    packages = apt_packages()
    for service, package in DEBIAN.items():
        assert package in packages, f"{service}: scripts/test-services.sh does not install {package}"
    assert services["redis"]["command"][0] == "redis-server"
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]  # a program of Debian's postgresql
    database = services["init"]["environment"]["UNMASK_DATABASE"]
    assert database.startswith("postgresql://") and "@postgres:5432/" in database
    assert services["worker"]["deploy"]["replicas"] >= 2  # N workers


def test_every_unmask_command_line_in_the_compose_file_is_one_the_cli_accepts() -> None:
    root = command()
    lines = []
    for name, service in compose()["services"].items():
        words = service.get("command")
        if isinstance(words, list):
            argv = unmask_argv([str(w) for w in words])
            if argv is not None:
                lines.append((name, argv))
    lines += [("header", argv) for argv in header_commands()]
    names = {name for name, _ in lines}
    assert {"init", "worker", "serve", "header"} <= names, names
    assert {tuple(argv[:2]) for _, argv in lines} >= {
        ("census", "worker"),
        ("census", "crawl"),
        ("serve", "--case"),
    }
    for _name, argv in lines:
        parse(root, [w.replace("$UNMASK_DATABASE", "postgresql://u@db/x") for w in argv])  # raises on drift


def start_as_composed(command: list[Any], folder: Path) -> subprocess.Popen[str]:
    """redis-server with the compose file's own arguments, bound to a loopback port (its last argument)."""
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server (scripts/test-services.sh installs it)")
    folder.mkdir()
    port = kernel_port()
    args = [str(w) for w in command] + ["--dir", str(folder), "--bind", LOOPBACK, "--port", str(port)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"redis-server refused the compose file's arguments: {proc.stdout}"
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("redis-server did not answer")


@pytest.mark.slow
def test_the_compose_topology_from_debian_packages_gives_the_complete_census(
    tmp_path: Path, pg_database: str
) -> None:
    from unmask.demo.platform import DemoPlatform
    from unmask.demo.server import spawn

    services = compose()["services"]
    redis = start_as_composed(services["redis"]["command"], tmp_path / "redis")
    redis_url = f"redis://{LOOPBACK}:{redis.args[-1]}/0"
    case = tmp_path / "case"
    workers: list[subprocess.Popen[str]] = []
    try:
        # the init service: `unmask init /case --db $UNMASK_DATABASE`
        init = unmask_argv([str(w) for w in services["init"]["command"]])
        assert init is not None
        unmask(*[{"/case": str(case), "$UNMASK_DATABASE": pg_database}.get(w, w) for w in init])

        def here(words: list[str]) -> list[str]:
            return [{"/case": str(case), "redis://redis:6379/0": redis_url}.get(w, w) for w in words]

        worker = unmask_argv([str(w) for w in services["worker"]["command"]])
        assert worker is not None
        for _ in range(2):  # two replicas, waiting for a census
            workers.append(
                subprocess.Popen(
                    [*UNMASK, *here(worker)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
            )
        crawl = next(argv for argv in header_commands() if argv[:2] == ["census", "crawl"])
        with spawn(seed=11, scale=0.005) as site:
            site.wait_ready()
            argv = here([site.url + "/" if w.startswith("https://platform.example") else w for w in crawl])
            proc = subprocess.run(
                [*UNMASK, *argv, "--adapter", "demo", "--delay", "0", "--json"],
                capture_output=True,
                text=True,
                timeout=300,
            )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert json.loads(proc.stdout)["complete"]
        for w in workers:  # each worker served the census and ended with it
            _out, err = w.communicate(timeout=120)
            assert w.returncode == 0, err[-2000:]
        figures = json.loads(unmask("stats", "--case", str(case), "--json").stdout)
        expected = DemoPlatform(seed=11, scale=0.005).expected_figures()
        assert all(figures[k] == expected[k] for k in ("videos", "photos", "galleries", "views"))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
        redis.terminate()
        redis.wait(10)
