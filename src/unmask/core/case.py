"""The case workspace: a folder with ``case.yaml``, a store and an evidence folder.

case/
  case.yaml          settings (see unmask.core.config)
  unmask.db          SQLite store (unless the config names a PostgreSQL URL)
  evidence/warc/     WARC files of every response fetched
  reports/           rendered reports
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from unmask.core.config import CaseConfig, load_config, save_config
from unmask.core.errors import CaseError
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
        try:
            root.mkdir(parents=True, exist_ok=True)
            case = cls(root, config)
            case.warc_dir.mkdir(parents=True, exist_ok=True)
            case.reports_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise CaseError(f"cannot create the case folder ({exc.strerror})", where=str(root)) from exc
        case.store.migrate()
        case.save()
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
        case.warc_dir.mkdir(parents=True, exist_ok=True)
        case.store.migrate()
        return case
