"""The protect site crawled with its protected persons (tests/protect/conftest.py), for notices."""

from tests.protect.conftest import crawled

__all__ = ["crawled"]
