"""pgbook.precompile fills numba's cache with every kernel, so that a later process compiles nothing.

Two fresh interpreters share an empty cache directory: the first (what Binder's postBuild runs) must
compile every numba kernel pgbook defines; the second (a reader's kernel) must load them, compiling
none, also when it then calls the sampling and algorithm functions itself.
"""

import json
import os
import subprocess
import sys

import pytest

from pgbook import precompile

CHILD = r"""
import json, numba
import pgbook
from pgbook import precompile
status = precompile.precompile()
mdp = pgbook.envs.gridworld()
pgbook.sample_episodes(mdp, pgbook.uniform(mdp), 16, 30, seed=3)
pgbook.policy_iteration(mdp)
misses = {name: sum(k.stats.cache_misses.values()) for name, k in precompile.kernels().items()}
print(json.dumps(dict(status=status, misses=misses, cache=numba.config.CACHE_DIR)))
"""


def run(cache_dir):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(NUMBA_CACHE_DIR=str(cache_dir), NUMBA_DISABLE_JIT="0")  # caching is what is tested
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_kernels_finds_the_numba_functions():
    found = precompile.kernels()
    assert "pgbook._sampling_kernels.sample" in found and "pgbook._loops.tabular_run" in found
    assert all(hasattr(k, "py_func") for k in found.values()) and len(found) >= 20


@pytest.mark.slow
def test_precompile_compiles_every_kernel_once(tmp_path):
    cold = run(tmp_path)
    assert cold["cache"] == str(tmp_path)
    assert set(cold["status"]) == set(precompile.kernels())
    assert set(cold["status"].values()) == {"compiled"}, cold["status"]
    warm = run(tmp_path)
    assert "compiled" not in warm["status"].values(), warm["status"]
    assert sum(warm["misses"].values()) == 0, {k: v for k, v in warm["misses"].items() if v}
