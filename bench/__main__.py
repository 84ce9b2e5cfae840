"""``make bench``: every benchmark in one run, peers side by side, ratios printed.

Usage: ``python -m bench [group ...]`` (groups: the module names below; default all).
"""

from __future__ import annotations

import importlib
import os
import platform
import sys

from ._harness import report

GROUPS = ("exact", "control", "sampling", "startup", "report", "sliders", "colab")


def main(argv: list[str]) -> int:
    groups = argv or list(GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        print(f"unknown benchmark group(s) {sorted(unknown)}; choose from {GROUPS}", file=sys.stderr)
        return 2
    print(f"# pgbook benchmarks on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rows = []
    for name in groups:
        module = importlib.import_module(f"bench.{name}")
        rows.extend(module.rows())
    print(report(rows))
    missed = [r for r in rows if r.met is False]
    print(f"\n{len(rows)} rows; {sum(r.met is True for r in rows)} targets met, {len(missed)} missed.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
