"""Cases for the app tests: made by `unmask init`, with the fetch layer's waits off (loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from unmask.core.config import load_config, save_config


@pytest.fixture
def new_case(new_case: Path) -> Path:
    config = load_config(new_case / "case.yaml")
    config.fetch.delay = 0.0
    config.fetch.retries = 0
    config.fetch.backoff_base = 0.01
    save_config(config, new_case / "case.yaml")
    return new_case
