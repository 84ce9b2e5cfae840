"""numba's on-disk cache works when pgbook is installed read-only (pgbook/_numba.py).

A copy of the package is made read-only (chmod) and imported by a fresh interpreter with its own HOME.
Root ignores permission bits: ``os.access`` says yes and writes succeed, through the capabilities
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. So when the tests run as root, the child is started by
``setpriv`` without those capabilities (dropped from its bounding and inheritable sets, so exec cannot
grant them back). It is still uid 0 and owns the files, but the owner's bits of a mode 0o555 directory
forbid writing, and the kernel's ``access()`` agrees. Running the child as ``nobody`` would not work
here: the interpreter may live under /root (mode 0700). No mount tricks, no monkeypatched
``os.access``: the child checks by really trying to write into the package, and must fail.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import pgbook
from pgbook.envs import random_mdp

# Each test starts interpreters that compile kernels with the JIT on: the NUMBA_DISABLE_JIT pass
# would only repeat them.
pytestmark = pytest.mark.slow

CHILD = r"""
import json, os, pathlib
import pgbook
import numba
from pgbook import _sampling_kernels as kernels
from pgbook.envs import random_mdp

package = pathlib.Path(pgbook.__file__).parent
try:
    (package / "probe").touch()
    wrote = True
except OSError:
    wrote = False
mdp = random_mdp(4, 2, 0, gamma=0.9)
ep = pgbook.sample_episodes(mdp, pgbook.uniform(mdp), 8, 5, 3)
print(json.dumps(dict(
    package=str(package), access=os.access(package, os.W_OK), wrote=wrote,
    cache_dir=numba.config.CACHE_DIR, states=ep.states.tolist(),
    hits=sum(kernels.sample.stats.cache_hits.values()),
    misses=sum(kernels.sample.stats.cache_misses.values()),
)))
"""

#: Prefix that makes permission bits apply to root (see the module docstring).
DROP_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
            "--inh-caps=-dac_override,-dac_read_search,-fowner"] if os.geteuid() == 0 else []


@pytest.fixture
def dirs():
    """A read-only copy of pgbook and writable HOME / cache directories for the child."""
    made = []

    def make():
        d = Path(tempfile.mkdtemp(prefix="pgbook-cache-test-"))
        made.append(d)
        return d

    site = make()
    package = site / "pgbook"
    shutil.copytree(Path(pgbook.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    for path in [package, *package.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    yield dict(site=site, package=package, home=make(), other=make())
    for path in [package, *package.rglob("*")]:
        path.chmod(stat.S_IRWXU | path.stat().st_mode)
    for d in made:
        shutil.rmtree(d)


def run_child(site: Path, env_changes: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    # The child must compile even in the NUMBA_DISABLE_JIT test pass: caching is what is tested.
    env.update(PYTHONPATH=str(site), NUMBA_DISABLE_JIT="0", **env_changes)
    proc = subprocess.run([*DROP_DAC, sys.executable, "-c", CHILD], cwd=site, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cache_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.suffix in (".nbi", ".nbc"))


@pytest.mark.parametrize("where", ["home", "xdg", "numba_cache_dir"])
def test_read_only_install_caches_in_a_writable_place(dirs, where):
    home, other = dirs["home"], dirs["other"]
    env = {"HOME": str(home)}
    if where == "xdg":
        env["XDG_CACHE_HOME"] = str(other)
        expected = other / "pgbook-numba"
    elif where == "numba_cache_dir":
        env["NUMBA_CACHE_DIR"] = str(other)
        expected = other
    else:
        expected = home / ".cache" / "pgbook-numba"

    cold = run_child(dirs["site"], env)
    assert cold["package"] == str(dirs["package"])  # the read-only copy, not the checkout
    assert not cold["access"] and not cold["wrote"]  # ... and it really is read-only for the child
    assert Path(cold["cache_dir"]) == expected
    files = cache_files(expected)
    assert any(f.startswith("_sampling_kernels.sample-") and f.endswith(".nbi") for f in files), files
    assert any(f.endswith(".nbc") for f in files), files
    assert cold["misses"] >= 1
    if where != "home":
        assert cache_files(home) == []  # the user's choice wins over the default location
    assert not list(dirs["package"].rglob("__pycache__"))

    warm = run_child(dirs["site"], env)
    assert warm["hits"] >= 1 and warm["misses"] == 0  # the second process loads, not compiles
    assert cache_files(expected) == files

    mdp = random_mdp(4, 2, 0, gamma=0.9)
    here = pgbook.sample_episodes(mdp, pgbook.uniform(mdp), 8, 5, 3).states
    assert np.array_equal(np.array(cold["states"]), here)
    assert np.array_equal(np.array(warm["states"]), here)


EDITED_CHILD = r"""
import json
import pgbook
from pgbook import _run_kernels, algorithms
mdp = pgbook.envs.random_mdp(4, 2, 0, gamma=0.9)
run = algorithms.softmax_pg(mdp, 0.1, 1)
print(json.dumps(dict(run=run.V_rho[0], value=float(mdp.rho @ pgbook.value(mdp, pgbook.uniform(mdp))),
                      misses=sum(_run_kernels.tabular_run.stats.cache_misses.values()))))
"""


def test_an_edited_kernel_source_drops_the_cache_of_kernels_that_inline_it(tmp_path):
    """numba re-checks only the file that defines a kernel, but the run loops inline pgbook._evaluation:
    after an edit there, a run must use the edited code (pgbook/_numba.py drops the in-tree cache)."""
    package = tmp_path / "pgbook"
    shutil.copytree(Path(pgbook.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(tmp_path), NUMBA_DISABLE_JIT="0")

    def child():
        proc = subprocess.run([sys.executable, "-c", EDITED_CHILD], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    first = child()
    assert first["run"] == pytest.approx(first["value"], rel=1e-12) and first["misses"] >= 1
    assert child()["misses"] == 0  # unchanged sources: loaded from the cache

    source = package / "_evaluation.py"
    text = source.read_text()
    assert text.count("out[s] = total") == 1
    source.write_text(text.replace("out[s] = total", "out[s] = 2.0 * total"))  # doubles every value
    edited = child()
    assert edited["value"] == pytest.approx(2 * first["value"], rel=1e-12)
    assert edited["run"] == pytest.approx(edited["value"], rel=1e-12) and edited["misses"] >= 1
