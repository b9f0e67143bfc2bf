"""Benchmark: import a generated GLEIF-scale graph (golden-copy CSV) into a fresh SQLite case.

    .venv/bin/python bench/owners_import_bench.py [--entities 2000000] [--gleif-edges 2500000] [--seed 1]

The import of ``bench/owners_query_bench.py --shape gleif --no-queries``: generation time, then the wall
and CPU time and peak RSS of `unmask owners import` of the level 1 and level 2 files (target: at most
5 minutes for 2 M entities + 2.5 M edges), which ends by building the compact graph index, and the sizes
of the database and the index. Run ``owners_query_bench.py --shape gleif`` for the queries as well.
"""

from __future__ import annotations

import sys

from owners_query_bench import main  # bench/ is on sys.path when this script runs

if __name__ == "__main__":
    sys.argv[1:1] = ["--shape", "gleif", "--no-queries"]
    main()
