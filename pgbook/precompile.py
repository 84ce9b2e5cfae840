r"""Compile every numba kernel of pgbook into numba's on-disk cache, ahead of a reader's first run.

    python -m pgbook.precompile

Binder's ``postBuild`` runs this while the image is built, so that a reader's first "Run All" loads
compiled kernels instead of compiling them (seconds per chapter). It drives each kernel through the
public function that calls it, on a small MDP, so the cached specialisations (argument types) are
exactly the ones the chapters use; :func:`kernels` lists every kernel (tests/test_precompile.py checks
that, from an empty cache, every one of them is compiled, by itself or inlined into its callers,
and that a second process compiles none).

The cache lives where :mod:`pgbook._numba` puts it (next to the package, or in ``NUMBA_CACHE_DIR``
or a user cache when the package is read-only). numba keys cached code on the CPU: a cache built on
one machine is reused on another only if both set the same ``NUMBA_CPU_NAME`` (``generic`` for a
portable cache, as Binder's ``postBuild`` and ``start`` do).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import numba
import numpy as np
from numba.core.registry import CPUDispatcher

import pgbook

from . import algorithms, envs
from .theory import surrogates


def kernels() -> dict[str, CPUDispatcher]:
    """Every numba-compiled function defined in pgbook, by qualified name (``module.function``)."""
    found = {}
    for info in pkgutil.walk_packages(pgbook.__path__, "pgbook."):
        if info.name == __name__ or info.name.startswith("pgbook.viz"):  # viz: matplotlib, no kernels
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = obj
    return found


def _exercise() -> None:
    """Call every public function that runs a kernel, with the argument types the chapters use."""
    mdp = envs.random_mdp(4, 3, seed=0, gamma=0.9)
    theta = np.zeros((mdp.S, mdp.A))
    pi = pgbook.softmax(theta)
    phi = np.random.default_rng(0).standard_normal((mdp.S, mdp.A, 2))
    pgbook.evaluate(mdp, pi)
    pgbook.soft_value(mdp, pi, 0.1)
    pgbook.sample_episodes(mdp, pi, 4, 5, seed=0)
    pgbook.sample_state_action(mdp, pi, 4, seed=0)
    pgbook.reinforce_gradient(mdp, theta, 4, 5, seed=0)
    pgbook.reinforce_gradient_geometric(mdp, theta, 4, seed=0)
    for run in (algorithms.softmax_pg, algorithms.npg, algorithms.pmd_geometric, algorithms.projected_ga,
                algorithms.softmax_pg_kl):
        run(mdp, 0.1, 3)
    surrogates.kl_step_size(mdp, theta, pgbook.softmax_gradient(mdp, theta), 0.01)
    algorithms.log_barrier_pg(mdp, 0.1, 3, lam=0.1)
    algorithms.entropy_pg(mdp, 0.1, 3, tau=0.1)
    algorithms.entropy_npg(mdp, 0.1, 3, tau=0.1)
    algorithms.cpi(mdp, 3)
    algorithms.policy_iteration_run(mdp)
    algorithms.loglinear_npg(mdp, phi, 0.1, 3)
    algorithms.q_npg(mdp, phi, 0.1, 3)


def precompile() -> dict[str, str]:
    """Compile every kernel, or load it from the cache; return what happened to each, by name:
    ``"compiled"``, ``"cached"`` (loaded from the cache) or ``"inside"`` (a helper already compiled
    into the cached kernels that call it, so never loaded on its own)."""
    _exercise()
    status = {}
    for name, kernel in kernels().items():
        if sum(kernel.stats.cache_misses.values()):
            status[name] = "compiled"
        elif kernel.signatures:
            status[name] = "cached"
        else:
            status[name] = "inside"
    return status


def main() -> int:
    start = time.perf_counter()
    status = precompile()
    counts = {kind: list(status.values()).count(kind) for kind in ("compiled", "cached", "inside")}
    print(f"pgbook.precompile: {len(status)} numba kernels in {time.perf_counter() - start:.1f} s: "
          f"{counts['compiled']} compiled, {counts['cached']} loaded from the cache, "
          f"{counts['inside']} inside those (cache: {numba.config.CACHE_DIR or 'next to the package'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
