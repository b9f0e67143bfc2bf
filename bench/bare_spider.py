"""The anchor of the census benchmark: a bare Scrapy ``SitemapSpider`` + extruct on the standards site.

    python bench/bare_spider.py BASE_URL [--concurrency 16]

16 connections, robots.txt obeyed, no evidence, no store: every item page is fetched and its JSON-LD,
microdata and OpenGraph read. Prints one JSON line: items read, wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Iterator
from typing import Any

import extruct
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.spiders import SitemapSpider

FOUND = {"items": 0}


class BareSpider(SitemapSpider):
    name = "bare"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[dict[str, str]]:
        data = extruct.extract(
            response.text,
            base_url=response.url,
            syntaxes=["json-ld", "microdata", "opengraph"],
            uniform=True,
        )
        if data.get("json-ld"):
            FOUND["items"] += 1
            yield {"url": response.url}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base")
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "ERROR",
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": True,
            "TELNETCONSOLE_ENABLED": False,
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        }
    )
    process.crawl(BareSpider, sitemap_urls=[args.base + "/robots.txt"])
    process.start()
    print(
        json.dumps(
            {
                "items": FOUND["items"],
                "seconds": time.perf_counter() - started,
                "cpu_seconds": time.process_time() - cpu,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
