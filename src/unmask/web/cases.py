"""The cases one server serves: one case folder (``--case``) or every case in a folder (``--cases``).

A case is named in addresses by its folder's name (a slug checked against the folder's own listing,
never joined to a path as given). Each case is opened once (its store's connection pool shared by the
pages); its privacy policy (unmask.core.privacy, as every CLI output takes it) is kept while the persons
the case knows and its public-figure list stay the same, and rebuilt when a census adds someone.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from unmask.core.case import CONFIG_NAME, Case
from unmask.core.errors import CaseError
from unmask.core.privacy import PUBLIC_FIGURES_META, PrivacyPolicy
from unmask.core.store.models import CaseMeta, Person
from unmask.web.settings import ServeSettings

FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""A new case's folder name, as the browser may give it: one folder, no path, no leading dot."""
DB_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://")
"""The databases a case made from the browser may use besides its own SQLite file."""
INIT_TIMEOUT = 120.0


class UnknownCase(LookupError):
    """No case of this server has that name."""


class CannotCreate(ValueError):
    """A new case's folder, name or database was refused, or `unmask init` failed (its one-line error)."""


@dataclass
class OpenCase:
    slug: str
    case: Case
    real_names: bool
    _policy: PrivacyPolicy | None = field(default=None, repr=False)
    _policy_key: tuple[object, ...] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        return self.case.config.name

    def policy(self) -> PrivacyPolicy:
        """The case's privacy policy for this server (``--real-names`` or not), current as of now."""
        key = self._people_key()
        with self._lock:
            if self._policy is None or key != self._policy_key:
                policy = PrivacyPolicy.for_case(self.case, real_names=self.real_names)
                _ = policy.matcher  # built once, before threads share it
                self._policy, self._policy_key = policy, key
            return self._policy

    def _people_key(self) -> tuple[object, ...]:
        with self.case.store.session() as s:
            count, last = s.execute(select(func.count(), func.max(Person.id)).select_from(Person)).one()
            public = s.scalar(select(CaseMeta.value).where(CaseMeta.key == PUBLIC_FIGURES_META))
        return (count, last, public)


class CaseShelf:
    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self._open: dict[str, OpenCase] = {}
        self._lock = threading.Lock()
        self._roots: dict[str, Path] = {}
        self._folder: Path | None = None
        if settings.case is not None:
            root = settings.case.resolve()
            if not (root / CONFIG_NAME).is_file():
                raise CaseError(f"no case here (no {CONFIG_NAME})", where=str(root))
            self._roots = {root.name: root}
        elif settings.cases is not None:
            self._folder = settings.cases.resolve()
            if not self._folder.is_dir():
                raise CaseError("not a folder", where=str(self._folder))
        else:
            raise CaseError("give --case DIR or --cases DIR")

    @property
    def single(self) -> str | None:
        """The one case's slug when the server serves one case."""
        return next(iter(self._roots)) if self._folder is None else None

    def roots(self) -> dict[str, Path]:
        """Slug → folder of every case served (a folder of cases is listed again each time)."""
        if self._folder is None:
            return dict(self._roots)
        return {
            p.name: p
            for p in sorted(self._folder.iterdir(), key=lambda p: p.name.lower())
            if p.is_dir() and (p / CONFIG_NAME).is_file()
        }

    def get(self, slug: str) -> OpenCase:
        with self._lock:
            found = self._open.get(slug)
            if found is not None:
                return found
            root = self.roots().get(slug)
            if root is None:
                raise UnknownCase(slug)
            opened = OpenCase(slug, Case.open(root), self.settings.real_names)
            self._open[slug] = opened
            return opened

    def create(self, folder: str, name: str, db: str) -> str:
        """Make a new case in the folder of cases, as `unmask init` does (the command itself, so that the
        custody log records it as from the terminal); returns its slug. Only with ``--cases``."""
        if self._folder is None:
            raise CannotCreate("this server serves one case: start it with --cases DIR to make cases")
        if not FOLDER_NAME.fullmatch(folder):
            raise CannotCreate("folder: letters, digits, '.', '_' or '-' (at most 64), one folder, no path")
        target = self._folder / folder
        if target.exists() or target.is_symlink():
            raise CannotCreate(f"folder: {folder} exists already in the folder of cases")
        if len(name) > 200 or any(not c.isprintable() for c in name):
            raise CannotCreate("name: at most 200 printable characters")
        if db and not db.startswith(DB_SCHEMES):
            raise CannotCreate("database: empty (SQLite in the case) or a postgresql:// address")
        argv = [sys.executable, "-m", "unmask", "init", str(target), "--json"]
        argv += [*(["--name", name] if name else []), *(["--db", db] if db else [])]
        try:
            done = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=INIT_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise CannotCreate("unmask init did not finish in time") from None
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
            raise CannotCreate(lines[-1] if lines else f"unmask init failed (exit {done.returncode})")
        return folder

    def close(self) -> None:
        with self._lock:
            for opened in self._open.values():
                opened.case.close()
            self._open.clear()
