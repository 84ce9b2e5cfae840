r"""pgbook: exact and sampled policy gradients on tabular MDPs.

The helper package of the book *The Mathematical Foundations of Policy Gradient Methods*.
Arrays are float64 numpy; ``S`` states, ``A`` actions; a policy is ``pi: (S, A)``, tabular
parameters are ``theta: (S, A)``. Modules, one idea each:

- :mod:`pgbook.mdp` -- the MDP :math:`(\mathcal S, \mathcal A, P, r, \gamma, \rho)`
- :mod:`pgbook.envs` -- the MDPs the book uses
- :mod:`pgbook.exact` -- exact values, Q, advantages, visitation
- :mod:`pgbook.control` -- policy and value iteration
- :mod:`pgbook.policies` -- softmax, log-linear and direct policies
- :mod:`pgbook.gradients` -- exact policy gradients and regularised objectives
- :mod:`pgbook.natural` -- Fisher information and the natural policy gradient
- :mod:`pgbook.highprec` -- the chain MDP in high precision (mpmath) and exact hitting times
- :mod:`pgbook.sampling` -- numba trajectory sampling and REINFORCE
- :mod:`pgbook.algorithms` -- whole optimisation runs for the book's figures
- :mod:`pgbook.viz` -- figures, and interactive figures that also work in the static book
- :mod:`pgbook.checks` -- the visible numerical checks on the book's pages
"""

from . import _numba  # noqa: F401  (sets up numba's cache before any kernel is compiled)
from . import checks, envs
from .exact import Evaluation, advantage, evaluate, policy_matrices, q_value, value, visitation
from .mdp import MDP
from .control import policy_iteration, value_iteration
from . import algorithms
from .policies import greedy, log_softmax, loglinear, project_simplex, softmax, uniform
from . import highprec
from .gradients import (centred_features, direct_gradient, entropy_regularized_gradient, log_barrier_gradient,
                        log_barrier_objective, loglinear_gradient, soft_value, softmax_gradient)
from .natural import compatible_fit, fisher, loglinear_fisher, npg_step
from .sampling import (Episodes, StateActions, reinforce_gradient, reinforce_gradient_geometric, sample_episodes,
                       sample_state_action, truncation_horizon)

__version__ = "0.1.0"
