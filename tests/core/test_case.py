from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from unmask.core.case import Case
from unmask.core.errors import CaseError, ConfigError


def test_init_makes_store_evidence_and_config(tmp_path: Path) -> None:
    case = Case.init(tmp_path / "c1")
    assert (case.root / "case.yaml").is_file()
    assert case.warc_dir.is_dir()
    assert (case.root / "unmask.db").is_file()
    assert len(case.config.secret) == 32
    case.close()
    again = Case.open(tmp_path / "c1")
    assert again.config.secret == case.config.secret
    again.close()


def test_init_twice_is_refused(tmp_path: Path) -> None:
    Case.init(tmp_path / "c").close()
    with pytest.raises(CaseError, match="already exists"):
        Case.init(tmp_path / "c")


def test_open_without_case_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no case here"):
        Case.open(tmp_path)


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="database"):
        Case.init(tmp_path / "c", db="mysql://nope/x")
    assert not (tmp_path / "c" / "case.yaml").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("fetch: {delay: fast}\n", "fetch.delay"),
        ("nonsense: 1\n", "unknown setting 'nonsense'"),
        ("fetch: [1, 2]\n", "expected a mapping"),
        ("fetch: {delay: 1\n", "not valid YAML"),
    ],
)
@pytest.mark.slow
def test_malformed_config_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    case = Case.init(tmp_path / "c")
    case.close()
    (tmp_path / "c" / "case.yaml").write_text(content)
    with pytest.raises(ConfigError, match=message):
        Case.open(tmp_path / "c")


def test_config_round_trip_keeps_settings(tmp_path: Path) -> None:
    case = Case.init(tmp_path / "c")
    case.config.fetch.cookies = {"example.org": {"age_ok": "1"}}
    case.config.fetch.proxy = "socks5h://127.0.0.1:9050"
    case.save()
    case.close()
    data = yaml.safe_load((tmp_path / "c" / "case.yaml").read_text())
    assert data["fetch"]["cookies"] == {"example.org": {"age_ok": "1"}}
    reopened = Case.open(tmp_path / "c")
    assert reopened.config.fetch.proxy == "socks5h://127.0.0.1:9050"
    reopened.close()


def test_case_on_postgresql(tmp_path: Path, pg_database: str) -> None:
    case = Case.init(tmp_path / "c", db=pg_database)
    assert case.store.dialect == "postgresql"
    assert not (tmp_path / "c" / "unmask.db").exists()
    case.close()
    reopened = Case.open(tmp_path / "c")
    reopened.store.check()
    reopened.close()
