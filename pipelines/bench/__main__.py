"""Measure the auditor at three sizes: python -m pipelines.bench --help."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.bench.harness import DEFAULT_MEMORY_LIMIT, DEFAULT_SIZES, SIZES, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__)
    parser.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                        help=f"comma-separated, from {', '.join(SIZES)} (default {','.join(DEFAULT_SIZES)})")
    parser.add_argument("--out", default="out/bench", help="data, warehouses and bench.json (default out/bench)")
    parser.add_argument("--memory-limit", default=DEFAULT_MEMORY_LIMIT,
                        help=f"DuckDB's memory_limit for every stage (default {DEFAULT_MEMORY_LIMIT})")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or not sizes:
        parser.error(f"unknown size {', '.join(unknown) or '(none)'}; choose from {', '.join(SIZES)}")
    run(sizes, Path(args.out), args.memory_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
