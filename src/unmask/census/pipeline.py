"""Item pipeline: stores each PageCommit in one transaction, then schedules the new frontier rows."""

from __future__ import annotations

from typing import Any

from unmask.census.writer import PageCommit
from unmask.core.fetch.scrapy_bridge import live


class StorePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.on_commit: Any = live(crawler.settings, "UNMASK_ON_COMMIT")

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, PageCommit):
            return item
        spider = self.crawler.spider
        try:
            result = spider.writer.commit(item)
        except Exception as exc:  # the page's transaction was rolled back; record the failure and go on
            spider.logger.exception("storing %s failed", item.frontier.url)
            spider.counters["failed"] += 1
            spider.writer.fail(
                item.frontier.id, "failed", f"store failed: {type(exc).__name__}: {exc}", item.capture_id
            )
            return item
        spider.counters["items"] += result.items
        spider.counters["new_items"] += result.new_items
        if result.stopped:
            spider.notes.append(f"{item.frontier.url}: {result.stopped}")
        if result.cut_short:
            spider.counters["chains_cut"] += 1
        budget = max(0, spider.max_requests - spider.scheduled)
        spider.schedule(result.new_rows[:budget])
        if self.on_commit is not None:
            self.on_commit(spider)
        return item
