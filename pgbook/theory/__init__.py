r"""The book's results: one module per chapter idea, each built on pgbook's core.

pgbook has two tiers. The core (``pgbook/*.py``: the MDP, exact evaluation, policies, gradients,
natural gradients, sampling, whole runs, the checks) computes what every chapter needs. This tier
computes what one chapter states: its bounds, rates, instances and constructions. A theory module
imports the core and never the reverse; :mod:`pgbook.viz` draws both.

========================================  =====================================  ===================================
Chapter                                   Module                                 What it computes
========================================  =====================================  ===================================
The policy gradient theorem, derived      :mod:`pgbook.theory.symbolic`          the derivation in sympy, step by step
Visitation measures and policy classes    :mod:`pgbook.theory.neural`            a one-hidden-layer softmax policy
Estimating the gradient                   :mod:`pgbook.theory.estimation`        truncated values, gradients, bias bound
Preconditioning and the NPG               :mod:`pgbook.theory.surrogates`        KL, TRPO, PPO and CPI surrogates
PG against NPG on the simplex             :mod:`pgbook.theory.simplex`           trajectories on the probability simplex
The optimisation landscape                :mod:`pgbook.theory.landscape`         mismatch, smoothness, the PGA bound
Vanishing gradients and exploration       :mod:`pgbook.theory.vanishing`         reward-free probabilities, sampled runs
Convergence of softmax policy gradient    :mod:`pgbook.theory.softmax_pg`        rates, log-barrier and entropy bounds
Convergence of the NPG                    :mod:`pgbook.theory.npg`               NPG and mirror-descent bounds
Approximation                             :mod:`pgbook.theory.approximation`     Q-NPG's terms, fits, regret
What the tutorial proved                  :mod:`pgbook.theory.guarantees`        the guarantees' iteration counts
Your own MDP                              :mod:`pgbook.theory.report`            :func:`pgbook.explain`, the analysis
========================================  =====================================  ===================================

The modules load on first use (``pgbook.theory.landscape`` works after ``import pgbook``), so that
``import pgbook`` stays fast and loads no sympy.
"""

from __future__ import annotations

import importlib

MODULES = ("symbolic", "neural", "estimation", "surrogates", "simplex", "landscape", "vanishing",
           "softmax_pg", "npg", "approximation", "guarantees", "report")

__all__ = list(MODULES)


def __getattr__(name: str):
    if name in MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(MODULES))
