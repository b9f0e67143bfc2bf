"""Long jobs (a census crawl, a report) run as the same `unmask` commands in subprocesses, so the server
stays responsive and a job runs exactly as it would from the terminal (its custody log entry included).

A job is running, done, failed (its exit code and its last line of error, shown as they are: a failure
is a result), or interrupted. Interrupting sends what Ctrl-C sends (SIGINT): the crawl stores the pages
in flight and stops; a second interrupt stops it at once; the same command started again resumes it.
A job's output goes to a file outside the case (the server's own folder), read back bounded.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from unmask.core.progress import PROGRESS_FILE_ENV, Count, read_progress

TAIL_BYTES = 4096
"""How much of a job's error output is kept for its page."""
OUTPUT_BYTES = 1024 * 1024
"""How much of a job's standard output (its ``--json`` answer) is read back."""
STOP_GRACE = 10.0
"""Seconds a job has to stop after the server's own Ctrl-C before it is killed."""


@dataclass
class Job:
    id: int
    case: str
    """The slug of the job's case."""
    kind: str
    """census | report | verify"""
    title: str
    argv: list[str]
    log: Path
    started: float = field(default_factory=time.time)
    ended: float | None = None
    returncode: int | None = None
    interrupts: int = 0
    output: Path | None = None
    """Where the job's standard output goes, when it is kept (a ``--json`` answer)."""
    progress_file: Path | None = None
    """Where the job's command writes its progress over a known total (unmask.core.progress), if it does."""
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def state(self) -> str:
        if self.returncode is None:
            return "running"
        if self.interrupts and self.returncode in (0, 130, -signal.SIGINT, -signal.SIGKILL):
            return "interrupted"  # a crawl stopped by Ctrl-C ends with 0: its run says how far it got
        return "done" if self.returncode == 0 else "failed"

    def poll(self) -> None:
        if self._proc is not None and self.returncode is None:
            code = self._proc.poll()
            if code is not None:
                self.returncode, self.ended = code, time.time()

    def tail(self) -> str:
        """The end of the job's error output (messages, the one-line error of a failed command)."""
        try:
            with self.log.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - TAIL_BYTES))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return text if size <= TAIL_BYTES else text.split("\n", 1)[-1]

    def answer(self) -> str | None:
        """The job's standard output when kept, up to :data:`OUTPUT_BYTES` (None: not kept, or cut)."""
        if self.output is None:
            return None
        try:
            with self.output.open("rb") as fh:
                data = fh.read(OUTPUT_BYTES + 1)
        except OSError:
            return None
        return None if len(data) > OUTPUT_BYTES else data.decode("utf-8", "replace")

    def progress(self) -> Count | None:
        """The latest done/total the command reported (an infra scan's domains, an app check's apps)."""
        return read_progress(self.progress_file) if self.progress_file is not None else None

    def last_line(self) -> str:
        lines = [line for line in self.tail().splitlines() if line.strip()]
        return lines[-1] if lines else ""


class JobManager:
    def __init__(self) -> None:
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._folder = Path(tempfile.mkdtemp(prefix="unmask-web-jobs-"))

    def start(self, case: str, kind: str, title: str, args: list[str], *, keep_output: bool = False) -> Job:
        """Run ``unmask ARGS`` for the case; one running job of a kind per case. ``keep_output``: its
        standard output is kept in a file for the page (:meth:`Job.answer`)."""
        with self._lock:
            for job in self._jobs.values():
                job.poll()
                if job.case == case and job.kind == kind and job.state == "running":
                    raise JobConflict(f"a {kind} job of this case is running (job {job.id})")
            job_id = next(self._ids)
            argv = [sys.executable, "-m", "unmask", *args]
            log = self._folder / f"job-{job_id}.log"
            output = self._folder / f"job-{job_id}.out" if keep_output else None
            progress = self._folder / f"job-{job_id}.progress"
            job = Job(job_id, case, kind, title, argv, log, output=output, progress_file=progress)
            env = {**os.environ, "PYTHONUNBUFFERED": "1", PROGRESS_FILE_ENV: str(progress)}
            with log.open("wb") as err, output.open("wb") if output else open(os.devnull, "wb") as out:
                job._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    env=env,
                    start_new_session=True,  # the server's signals reach it only through interrupt()
                )
            self._jobs[job_id] = job
            return job

    def get(self, job_id: int) -> Job | None:
        job = self._jobs.get(job_id)
        if job is not None:
            job.poll()
        return job

    def of_case(self, case: str) -> list[Job]:
        jobs = [j for j in self._jobs.values() if j.case == case]
        for job in jobs:
            job.poll()
        return sorted(jobs, key=lambda j: -j.id)

    def running(self, case: str, kind: str) -> Job | None:
        return next((j for j in self.of_case(case) if j.kind == kind and j.state == "running"), None)

    def interrupt(self, job_id: int) -> Job | None:
        """What Ctrl-C does: the first stops gracefully, a second at once."""
        job = self.get(job_id)
        if job is None or job._proc is None or job.returncode is not None:
            return job
        job.interrupts += 1
        with contextlib.suppress(ProcessLookupError):
            job._proc.send_signal(signal.SIGINT)
        return job

    def shutdown(self) -> None:
        """Interrupt every running job, wait a little, kill what still runs."""
        running = [j for j in self._jobs.values() if j._proc is not None and j._proc.poll() is None]
        for job in running:
            self.interrupt(job.id)
        deadline = time.monotonic() + STOP_GRACE
        for job in running:
            assert job._proc is not None
            try:
                job._proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                job._proc.kill()
                job._proc.wait()
            job.poll()


class JobConflict(RuntimeError):
    """A job of the same kind already runs for the case."""
