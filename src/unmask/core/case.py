"""The case workspace: a folder with ``case.yaml``, a store and an evidence folder.

case/
  case.yaml          settings (see unmask.core.config)
  unmask.db          SQLite store (unless the config names a PostgreSQL URL)
  evidence/warc/     WARC files of every response fetched
  logs/              crawl logs
  reports/           rendered reports

The folder is 0700 and every file in it 0600 (case.yaml holds the pseudonym secret, cookies and the
mail password): opening a case sets the process's umask so that files written later (WARC, logs,
exports inside the case) are private too. No output may be written over the store, settings, evidence,
logs or lock (:meth:`Case.protected_paths`, checked by unmask.core.output).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from unmask.core.config import CaseConfig, load_config, save_config
from unmask.core.errors import CaseError
from unmask.core.output import DIR_MODE, FILE_MODE, private_umask
from unmask.core.store import Store, normalize_url

CONFIG_NAME = "case.yaml"


@dataclass
class Case:
    root: Path
    config: CaseConfig
    _store: Store | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def evidence_dir(self) -> Path:
        return self.root / "evidence"

    @property
    def warc_dir(self) -> Path:
        return self.evidence_dir / "warc"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def sqlite_path(self) -> Path | None:
        """The store's file when the store is SQLite."""
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return Path(url.database)

    def protected_paths(self) -> list[tuple[str, Path]]:
        """What no output may be written over or into: (what, path)."""
        out = [
            ("settings and secret", self.config_path),
            ("evidence", self.evidence_dir),
            ("logs", self.logs_dir),
            ("crawl lock", self.root / ".crawl.lock"),
            ("protected persons", self.root / "protect"),
        ]
        db = self.sqlite_path
        if db is not None:
            out += [("store", db.with_name(db.name + suffix)) for suffix in ("", "-wal", "-shm", "-journal")]
        return out

    def secure(self) -> None:
        """The case folder 0700 and its settings and store files 0600; files made from now on private."""
        private_umask()
        with contextlib.suppress(OSError):
            os.chmod(self.root, DIR_MODE)
        files = [self.config_path] + [p for what, p in self.protected_paths() if what == "store"]
        for path in files:
            with contextlib.suppress(OSError):
                if path.is_file():
                    os.chmod(path, FILE_MODE)

    @property
    def database_url(self) -> str:
        return normalize_url(self.config.database, self.root)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.database_url)
        return self._store

    def save(self) -> None:
        save_config(self.config, self.config_path)

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None

    # -- creation and opening -------------------------------------------------------------------

    @classmethod
    def init(cls, root: Path, *, db: str | None = None, name: str | None = None) -> Case:
        root = root.resolve()
        if (root / CONFIG_NAME).exists():
            raise CaseError("a case already exists here", where=str(root))
        if root.exists() and not root.is_dir():
            raise CaseError("exists and is not a folder", where=str(root))
        config = CaseConfig(name=name or root.name, secret=secrets.token_hex(16))
        if db:
            config.database = db
        normalize_url(config.database, root)  # reject a malformed URL before touching the disk
        private_umask()
        try:
            root.mkdir(parents=True, exist_ok=True)
            os.chmod(root, DIR_MODE)
            case = cls(root, config)
            case.warc_dir.mkdir(parents=True, exist_ok=True)
            case.reports_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise CaseError(f"cannot create the case folder ({exc.strerror})", where=str(root)) from exc
        case.store.migrate()
        case.save()
        case.secure()
        return case

    @classmethod
    def open(cls, root: Path | None = None) -> Case:
        root = (root or Path.cwd()).resolve()
        path = root / CONFIG_NAME
        if not path.is_file():
            raise CaseError(
                f"no case here (no {CONFIG_NAME}); make one with `unmask init DIR` or pass --case DIR",
                where=str(root),
            )
        case = cls(root, load_config(path))
        case.secure()
        case.warc_dir.mkdir(parents=True, exist_ok=True)
        case.store.migrate()
        return case
