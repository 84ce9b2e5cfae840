r"""The Fisher information of a policy and the natural policy gradient (NPG).

.. math:: F_\rho(\theta) = \mathbb E_{s \sim d^{\pi_\theta}_\rho}\, \mathbb E_{a \sim \pi_\theta(\cdot|s)}
          \big[\nabla_\theta \log \pi_\theta(a|s)\, \nabla_\theta \log \pi_\theta(a|s)^\top\big],
          \qquad \theta \leftarrow \theta + \eta\, F_\rho(\theta)^\dagger\, \nabla_\theta V^{\pi_\theta}(\rho).

For tabular softmax policies the NPG step has a closed form (soft policy iteration, AKLM Lemma 5.1),
which :func:`npg_step` uses; the explicit Fisher matrix (:func:`fisher`) is for teaching and tests.
For log-linear policies the NPG direction is a least-squares fit of the advantages on the centred
features (compatible function approximation, :func:`compatible_fit`).
"""

from __future__ import annotations

import numpy as np

from . import _validate as check
from .exact import _evaluate
from .gradients import _centred
from .mdp import MDP
from .policies import loglinear, softmax


def fisher(mdp: MDP, theta, rho=None) -> np.ndarray:
    r"""The Fisher information matrix of the tabular softmax policy, ``theta`` flattened row-major.

    .. math:: F_\rho(\theta) = \mathbb E_{s \sim d^{\pi_\theta}_\rho,\, a \sim \pi_\theta}
              \big[\nabla \log \pi_\theta(a|s) \nabla \log \pi_\theta(a|s)^\top\big]
              = \operatorname{blockdiag}_s\, d^{\pi_\theta}_\rho(s)\big(\operatorname{diag}(\pi_s) - \pi_s \pi_s^\top\big).

    Entry ``F[s*A + a, s*A + b]`` is the block of state s. At full support its rank is
    :math:`S(A-1)` (each block annihilates the constant vector). theta: (S, A). Returns F: (S*A, S*A).
    """
    theta = check.theta(mdp, theta)
    rho = check.start(mdp, rho)
    pi = softmax(theta)
    d = _evaluate(mdp, pi, rho).d
    S, A = pi.shape
    blocks = d[:, None, None] * (pi[:, :, None] * np.eye(A) - pi[:, :, None] * pi[:, None, :])
    F = np.zeros((S, A, S, A))
    F[np.arange(S), :, np.arange(S), :] = blocks
    return F.reshape(S * A, S * A)


def npg_step(mdp: MDP, theta, eta: float) -> np.ndarray:
    r"""One exact natural policy gradient step for the tabular softmax policy (soft policy iteration).

    .. math:: \theta' = \theta + \frac{\eta}{1-\gamma} A^{\pi_\theta}, \qquad
              \pi_{\theta'}(a|s) = \frac{\pi_\theta(a|s) \exp\big(\eta A^{\pi_\theta}(s, a)/(1-\gamma)\big)}{Z(s)}

    (AKLM Lemma 5.1, AJKS Lemma 12.6). This equals :math:`\theta + \eta F_\rho(\theta)^\dagger
    \nabla_\theta V^{\pi_\theta}(\rho)` up to a constant in each state, which leaves the policy
    unchanged; it does not depend on :math:`\rho` (AKLM states it for the states :math:`\rho`
    reaches). Needs :math:`\gamma < 1`. theta: (S, A); eta > 0. Returns the next theta: (S, A).
    """
    theta = check.theta(mdp, theta)
    eta = check.positive_real(eta, "eta")
    if mdp.gamma == 1.0:
        raise ValueError("mdp: npg_step needs gamma < 1 (its step is eta / (1 - gamma) times the advantage)")
    A = _evaluate(mdp, softmax(theta), mdp.rho).A
    return theta + eta / (1.0 - mdp.gamma) * A


def _loglinear_parts(mdp: MDP, theta, phi, rho):
    """Checked inputs, then the weights d(s) pi(a|s): (S, A), the scores phi_bar: (S, A, d) and the evaluation."""
    phi = check.features(mdp, phi)
    theta = check.array(theta, "theta", shape=(phi.shape[2],))
    rho = check.start(mdp, rho)
    pi = loglinear(theta, phi)
    ev = _evaluate(mdp, pi, rho)
    return ev.d[:, None] * pi, _centred(phi, pi), ev


def loglinear_fisher(mdp: MDP, theta, phi, rho=None) -> np.ndarray:
    r"""The Fisher information matrix of a log-linear policy.

    .. math:: F_\rho(\theta) = \mathbb E_{s \sim d^{\pi_\theta}_\rho,\, a \sim \pi_\theta}
              \big[\bar\phi_{s,a} \bar\phi_{s,a}^\top\big],
              \qquad \bar\phi_{s,a} = \phi_{s,a} - \mathbb E_{a' \sim \pi_\theta} \phi_{s,a'}.

    theta: (d,); phi: (S, A, d). Returns F: (d, d).
    """
    w, phi_bar, _ = _loglinear_parts(mdp, theta, phi, rho)
    return np.einsum("sa,sai,saj->ij", w, phi_bar, phi_bar)


def compatible_fit(mdp: MDP, theta, phi, rho=None, target: str = "A") -> np.ndarray:
    r"""Compatible function approximation: the minimum-norm least-squares fit of the advantages on the scores.

    .. math:: w^\star = \arg\min_w \mathbb E_{s \sim d^{\pi_\theta}_\rho,\, a \sim \pi_\theta}
              \big[(w^\top \bar\phi_{s,a} - A^{\pi_\theta}(s, a))^2\big]
              \quad(\text{minimum } \|w\|_2 \text{ among minimisers}).

    Its normal equations are :math:`F_\rho(\theta) w^\star = \mathbb E[\bar\phi A] =
    (1-\gamma)\nabla_\theta V^{\pi_\theta}(\rho)`, so the NPG direction of a log-linear policy is
    :math:`F^\dagger \nabla V = w^\star/(1-\gamma)` (AKLM Eq. (17); AJKS Lemmas 13.1-13.2; for an
    episodic MDP read :math:`1/(1-\gamma)` as :math:`\sum_s \nu(s)`, the expected episode length).
    ``target="Q"`` regresses on :math:`Q^{\pi_\theta}` instead and gives the same :math:`w^\star`, since
    :math:`\mathbb E_{a \sim \pi} \bar\phi_{s,a} = 0`. theta: (d,); phi: (S, A, d). Returns w: (d,).
    """
    if target not in ("A", "Q"):
        raise ValueError(f"target: expected 'A' or 'Q', got {target!r}")
    w, phi_bar, ev = _loglinear_parts(mdp, theta, phi, rho)
    y = ev.A if target == "A" else ev.Q
    root = np.sqrt(w)
    X = (root[:, :, None] * phi_bar).reshape(-1, phi_bar.shape[2])
    return np.linalg.lstsq(X, (root * y).ravel(), rcond=None)[0]
