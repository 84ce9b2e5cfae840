"""pgbook.precompile fills numba's cache with every kernel, so that a later process compiles nothing.

Two fresh interpreters share an empty cache directory: the first (what Binder's postBuild runs) must
compile every numba kernel pgbook defines; the second (a reader's kernel) must load them, compiling
none, also when it then calls the sampling and algorithm functions itself.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pgbook
from pgbook import precompile

CHILD = r"""
import json, numba
import pgbook
from pgbook import precompile
status = precompile.precompile()
def misses():
    return {name: sum(k.stats.cache_misses.values()) for name, k in precompile.kernels().items()}
before = misses()
mdp = pgbook.envs.gridworld()
pgbook.sample_episodes(mdp, pgbook.uniform(mdp), 16, 30, seed=3)
pgbook.policy_iteration(mdp)
pgbook.visitation(mdp, pgbook.uniform(mdp))
pgbook.entropy_regularized_gradient(mdp, pgbook.uniform(mdp), 0.5)
run = pgbook.algorithms.softmax_pg(mdp, 0.1, 3)  # its iterates are read-only
pgbook.softmax_gradient(mdp, run.theta[-1])
after = misses()
print(json.dumps(dict(status=status, misses=after, cache=numba.config.CACHE_DIR,
                      later={name: after[name] - before[name] for name in after if after[name] != before[name]})))
"""


def run(cache_dir, code=CHILD):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    # Compiled kernels are what is tested, also in make test's NUMBA_DISABLE_JIT pass.
    env.update(NUMBA_CACHE_DIR=str(cache_dir), NUMBA_DISABLE_JIT="0")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_kernels_finds_every_numba_function(tmp_path):
    code = "import json; from pgbook import precompile; print(json.dumps(sorted(precompile.kernels())))"
    found = run(tmp_path, code)
    assert "pgbook._sampling_kernels.sample" in found and "pgbook._run_kernels.tabular_run" in found
    njit_sources = sum(path.read_text().count("\n@njit") for path in Path(pgbook.__file__).parent.rglob("*.py"))
    assert len(found) == njit_sources  # every @njit-decorated function of the package, no more


@pytest.mark.slow
def test_precompile_compiles_every_kernel_once(tmp_path):
    cold = run(tmp_path)
    assert cold["cache"] == str(tmp_path)
    assert set(cold["status"]) == set(precompile.kernels())
    # A kernel inlined into its callers (numba's inline="always") and never called from Python on its
    # own is compiled only inside them; every other kernel is compiled by itself.
    inlined = {name for name, kernel in precompile.kernels().items() if kernel.targetoptions.get("inline") == "always"}
    assert {name for name, status in cold["status"].items() if status != "compiled"} <= inlined, cold["status"]
    assert set(cold["status"].values()) <= {"compiled", "inside"}, cold["status"]
    assert not cold["later"], f"compiled after precompile, by the chapters' own calls: {cold['later']}"
    warm = run(tmp_path)
    assert "compiled" not in warm["status"].values(), warm["status"]
    assert sum(warm["misses"].values()) == 0, {k: v for k, v in warm["misses"].items() if v}


KERNEL_RUN = """
import pgbook
mdp = pgbook.envs.gridworld()
pgbook.sample_episodes(mdp, pgbook.uniform(mdp), 4, 5, seed=0)
pgbook.sample_episodes(mdp, pgbook.uniform(mdp), 4, 5, seed=1)
pgbook.policy_iteration(mdp)
"""


def kernel_output(cache_dir) -> tuple[str, str]:
    """What a notebook cell running pgbook prints in a fresh kernel (stdout, stderr)."""
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(NUMBA_CACHE_DIR=str(cache_dir), NUMBA_DISABLE_JIT="0")
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    streams = {"stdout": "", "stderr": ""}

    def collect(msg):
        if msg["msg_type"] == "stream":
            streams[msg["content"]["name"]] += msg["content"]["text"]
        assert msg["msg_type"] != "error", msg["content"]

    try:
        kc.execute_interactive(KERNEL_RUN, timeout=600, output_hook=collect)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return streams["stdout"], streams["stderr"]


@pytest.mark.slow
def test_a_notebook_kernel_says_once_that_it_compiles_and_nothing_when_the_cache_has_it(tmp_path):
    """A fresh Colab runtime compiles for seconds: one line on stdout says so; a script or a test
    (no kernel) and a kernel with the compiled code cached hear nothing."""
    from pgbook._numba import COMPILING

    stdout, stderr = kernel_output(tmp_path)
    assert stdout.count(COMPILING) == 1 and not stderr
    assert kernel_output(tmp_path) == ("", "")
    script = subprocess.run([sys.executable, "-c", KERNEL_RUN], capture_output=True, text=True, timeout=900,
                            env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "script"), "NUMBA_DISABLE_JIT": "0"})
    assert script.returncode == 0 and COMPILING not in script.stdout + script.stderr
