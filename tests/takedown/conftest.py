"""Fixtures shared with other test folders: the protect site crawled with its protected persons
(tests/protect/conftest.py) and a real SMTP server on loopback (tests/watch/test_alerts.py)."""

from tests.protect.conftest import crawled
from tests.watch.test_alerts import smtp_plain

__all__ = ["crawled", "smtp_plain"]
