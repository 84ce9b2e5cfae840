r"""What the exact-gradient guarantees of the last chapter promise, as iteration counts.

Each rate of the book's Table 1 with an explicit constant, solved for the number of iterations
:math:`T` after which it promises a gap :math:`V^\star(\rho) - V^{(T)}(\rho) \le \epsilon` (the best gap
so far for R1 and R4), at the step size its theorem prescribes, from the uniform policy, with the
gradient taken under :math:`\mu = \rho`. The counts are written once here and the chapter calls them;
each is the inverse of a bound computed elsewhere in :mod:`pgbook.theory` (the tests check it).
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..mdp import MDP, require_mdp
from .landscape import pga_iterations_bound
from .softmax_pg import log_barrier_iterations, optimal_mismatch

#: The rows of Table 1 with an explicit constant, in the order :func:`iterations` returns them.
ROWS = ("R1", "R4", "R6", "R8")


def iterations(mdp: MDP, eps: float, rho=None) -> dict[str, float]:
    r"""The iterations each guarantee of Table 1 needs to promise a gap of at most ``eps``.

    With :math:`D = \Vert d^{\pi^\star}_\rho / \rho \Vert_\infty` (AKLM's mismatch coefficient for
    :math:`\mu = \rho`) and Xiao's :math:`\vartheta_\rho = D/(1-\gamma)`:

    .. math::

       T_{\mathrm{R1}} &= \frac{64\gamma|\mathcal S||\mathcal A|\,D^2}{(1-\gamma)^6\epsilon^2}
       && \text{projected gradient ascent, } \eta = \tfrac{(1-\gamma)^3}{2\gamma|\mathcal A|}
       \text{ (AKLM Thm 4.1)},\\
       T_{\mathrm{R4}} &= \frac{320|\mathcal S|^2|\mathcal A|^2 D^2}{(1-\gamma)^6\epsilon^2}
       && \text{log-barrier PG (AKLM Cor 5.1, corrected constant)},\\
       T_{\mathrm{R6}} &= \frac{2}{(1-\gamma)^2\epsilon}
       && \text{NPG, } \eta = (1-\gamma)^2\log|\mathcal A| \text{ (AKLM Thm 5.3)},\\
       T_{\mathrm{R8}} &= \vartheta_\rho \log\frac{2}{(1-\gamma)\epsilon}
       && \text{NPG, } \eta_k = \tfrac{1-\gamma}{\gamma}\log|\mathcal A|\,\gamma^{-k} \text{ (Xiao Thm 10)}.

    :math:`T_{\mathrm{R6}}` sets the two terms of AKLM Thm 5.3,
    :math:`\frac{\log|\mathcal A|}{\eta T} + \frac{1}{(1-\gamma)^2 T}`, equal; :math:`T_{\mathrm{R8}}`
    uses :math:`(1 - 1/\vartheta_\rho)^T \le e^{-T/\vartheta_\rho}` in Xiao's
    :math:`(1 - 1/\vartheta_\rho)^T \frac{2}{1-\gamma}`. Rewards in [0, 1], :math:`\gamma < 1`.

    Parameters
    ----------
    mdp : MDP
        With gamma < 1 and rewards in [0, 1].
    eps : float
        The gap asked for, > 0.
    rho : None, int or array (S,)
        The start distribution, positive on every state (the MDP's by default).

    Returns
    -------
    dict
        ``{"R1": T, "R4": T, "R6": T, "R8": T}`` (floats, in the order of :data:`ROWS`).

    Examples
    --------
    >>> import pgbook
    >>> from pgbook.theory import guarantees
    >>> counts = guarantees.iterations(pgbook.envs.gridworld(), 0.05, rho=[1 / 21] * 21)
    >>> {row: f"{T:.2g}" for row, T in counts.items()}
    {'R1': '1.8e+14', 'R4': '8.6e+16', 'R6': '4e+03', 'R8': '5.8e+02'}
    """
    require_mdp(mdp)
    gamma = validate.discounted(mdp, "the convergence guarantees")
    eps = validate.positive_real(eps, "eps")
    rho = validate.start(mdp, rho)
    if np.any(rho <= 0):
        raise ValueError("rho: every state must have positive probability (the guarantees divide by rho)")
    D = optimal_mismatch(mdp, rho, rho)
    return {
        "R1": float(pga_iterations_bound(mdp, eps, D)),
        "R4": float(log_barrier_iterations(mdp, eps, rho, rho)),
        "R6": 2.0 / ((1.0 - gamma) ** 2 * eps),
        "R8": float(D / (1.0 - gamma) * np.log(2.0 / ((1.0 - gamma) * eps))),
    }
