"""Start-up: ``import pgbook`` plus the first ``sample_episodes`` call, in a fresh interpreter.

Kernels compile lazily (never at import) and are cached on disk, so with the cache warm the first
call only loads machine code. Each number is measured inside a fresh subprocess (best of several);
the interpreter's own start is reported separately, as it is not pgbook's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from ._harness import Row

CHILD = r"""
import json, time
t0 = time.perf_counter()
import pgbook
t1 = time.perf_counter()
mdp = pgbook.envs.random_mdp(5, 3, 0)
pgbook.sample_episodes(mdp, pgbook.uniform(mdp), 100, 20, 0)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first_call": t2 - t1}))
"""

NUMBA_ONLY = r"""
import json, time
t0 = time.perf_counter()
import numba
print(json.dumps({"import": time.perf_counter() - t0}))
"""

REPEAT = 5


def _run(code: str, env: dict | None = None) -> tuple[dict, float]:
    """Run ``code`` in a fresh interpreter: its printed timings and the process's wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def _best(code: str) -> tuple[dict, float]:
    runs = [_run(code) for _ in range(REPEAT)]
    best = min(runs, key=lambda run: sum(run[0].values()))
    return best[0], min(wall for _, wall in runs)


def rows() -> list[Row]:
    with tempfile.TemporaryDirectory() as empty:
        cold, _ = _run(CHILD, {"NUMBA_CACHE_DIR": empty})
    _run(CHILD)  # warms the default cache if needed
    warm, wall = _best(CHILD)
    numba_only, _ = _best(NUMBA_ONLY)
    total = warm["import"] + warm["first_call"]
    return [
        Row("startup", f"import pgbook ({warm['import']:.2f} s) + first sample_episodes ({warm['first_call']:.2f} s), "
            "numba cache warm", "s", total, {"import numba alone": numba_only["import"]}, "< 1 s", total < 1.0),
        Row("startup", "  same, whole process incl. interpreter start", "s", wall),
        Row("startup", f"  same, cold cache: compiles the kernels (first call {cold['first_call']:.2f} s)", "s",
            cold["import"] + cold["first_call"]),
    ]
