r"""pgbook: exact and sampled policy gradients on tabular MDPs.

The helper package of the book *The Mathematical Foundations of Policy Gradient Methods*.
Arrays are float64 numpy; ``S`` states, ``A`` actions; a policy is ``pi: (S, A)``, tabular
parameters are ``theta: (S, A)``. Modules, one idea each:

- :mod:`pgbook.mdp` -- the MDP :math:`(\mathcal S, \mathcal A, P, r, \gamma, \rho)`
- :mod:`pgbook.envs` -- the MDPs the book uses
- :mod:`pgbook.loaders` -- your own MDP: from Gymnasium, pymdptoolbox or QuantEcon arrays, a typed grid
- :mod:`pgbook.exact` -- exact values, Q, advantages, visitation
- :mod:`pgbook.control` -- policy and value iteration
- :mod:`pgbook.policies` -- softmax, log-linear and direct policies
- :mod:`pgbook.gradients` -- exact policy gradients and regularised objectives
- :mod:`pgbook.natural` -- Fisher information and the natural policy gradient
- :mod:`pgbook.sampling` -- numba trajectory sampling and REINFORCE
- :mod:`pgbook.algorithms` -- whole optimisation runs for the book's figures
- :mod:`pgbook.highprec` -- mpmath values where float64 cannot resolve them (the long chain)
- :mod:`pgbook.viz` -- figures, and interactive figures that also work in the static book
  (imported on demand: it loads matplotlib)
- :mod:`pgbook.checks` -- the visible numerical checks on the book's pages

The book's results, one module per chapter idea (bounds, rates, instances), are the second tier,
:mod:`pgbook.theory`, loaded on first use; :func:`explain` (:mod:`pgbook.theory.report`) is the
book's analysis of any small MDP, in one call.
"""

from . import _numba  # noqa: F401  (sets up numba's cache before any kernel is compiled)
from . import algorithms, checks, envs, features, highprec, theory
from .control import policy_iteration, value_iteration
from .exact import Evaluation, advantage, evaluate, policy_matrices, q_value, value, visitation
from .loaders import from_arrays, from_grid, from_gymnasium, rescale_rewards
from .theory.report import Report, explain
from .gradients import (
    centred_features,
    direct_gradient,
    entropy_regularized_gradient,
    log_barrier_gradient,
    log_barrier_objective,
    loglinear_gradient,
    soft_value,
    softmax_gradient,
)
from .mdp import MDP
from .natural import compatible_fit, fisher, loglinear_fisher, npg_step, reparameterised_step
from .policies import greedy, log_softmax, loglinear, project_simplex, softmax, uniform
from .sampling import (
    Episodes,
    StateActions,
    reinforce_gradient,
    reinforce_gradient_geometric,
    sample_episodes,
    sample_state_action,
    truncation_horizon,
)

__version__ = "0.1.0"

__all__ = [
    # the MDP and its modules
    "MDP", "envs", "algorithms", "checks", "highprec", "theory",
    # your own MDP
    "from_gymnasium", "from_arrays", "from_grid", "rescale_rewards", "explain", "Report",
    # exact evaluation
    "Evaluation", "evaluate", "policy_matrices", "value", "q_value", "advantage", "visitation",
    # optimal control
    "policy_iteration", "value_iteration",
    # policies
    "softmax", "log_softmax", "uniform", "greedy", "loglinear", "project_simplex",
    # exact gradients and regularised objectives
    "softmax_gradient", "loglinear_gradient", "centred_features", "direct_gradient",
    "soft_value", "entropy_regularized_gradient", "log_barrier_objective", "log_barrier_gradient",
    # natural policy gradient
    "fisher", "npg_step", "loglinear_fisher", "compatible_fit", "reparameterised_step",
    # sampling
    "Episodes", "StateActions", "sample_episodes", "sample_state_action", "truncation_horizon",
    "reinforce_gradient", "reinforce_gradient_geometric",
]
