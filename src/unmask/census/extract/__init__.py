"""Pure extraction (no network, no database): fetched bytes in, ``PageResult`` records and links out.

* ``parsers``: counts, durations, dates, relative dates as platforms display them.
* ``urls``: canonical URLs, same-site test, ``MEDIA_EXTENSIONS``.
* ``sitemap``: robots.txt ``Sitemap:`` lines, sitemap indexes and URL sets (video/image extensions).
* ``schemaorg``: JSON-LD, microdata and OpenGraph items; rel=canonical/next and ItemList links.
* ``adapter``: YAML site adapters, the ``Extractor`` interface and ``load_extractor``.
* ``generic``: the extractor used without an adapter; ``base`` and ``document``: what they share.
"""
