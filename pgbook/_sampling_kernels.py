r"""numba kernels behind :mod:`pgbook.sampling` (private: no argument checks here).

Random numbers
--------------
Every episode ``i`` owns its own xoshiro256** stream (Blackman and Vigna 2018), whose 256-bit state is
four consecutive SplitMix64 outputs started from :math:`\mathrm{mix}(\mathrm{mix}(\text{seed}) + i)`,
``mix`` being SplitMix64's bijective finaliser. An episode's numbers therefore depend only on
``(seed, i)``: not on the thread that runs it nor on how episodes are grouped, which is what makes
results identical for any number of threads.

Categorical draws
-----------------
A distribution over ``K`` outcomes is an alias table (Walker 1977, Vose 1991): ``K`` columns, column
``j`` keeps outcome ``j`` with probability :math:`q_j` and otherwise gives its alias. One entry is one
``uint64``: the threshold :math:`\lfloor q_j 2^{32} \rceil` in the high half, the alias in the low
half, so a draw is one load. A draw takes one 64-bit output ``x``: its top 53 bits form
:math:`u \in [0, 1)`, the column is :math:`j = \lfloor uK \rfloor` and the 32 leading bits of the
fraction :math:`uK - j` are compared with the threshold. Each draw's law is within total variation
:math:`2^{-32}` of the target (the threshold's rounding), far below anything a simulation can detect;
outcomes of probability 0 are never drawn.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_U53 = 2.0**-53
_TWO32 = 2.0**32

#: Episodes per chunk of a gradient reduction. Chunks, not threads, are the unit of summation, so the
#: floating-point sum is the same for any thread count.
CHUNK = 256
#: Memory for the per-chunk partial sums, in float64 words (16 MB); more chunks go in several rounds.
#: Chunks are added in order whatever the rounds, so this changes only speed, never the result.
PARTIAL_WORDS = 1 << 21


@njit
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit
def _stream(seed, i):
    """xoshiro256** state of episode ``i``: four SplitMix64 outputs from ``mix(mix(seed) + i)``."""
    z = _mix(_mix(seed) + np.uint64(i))
    return (_mix(z + _GOLDEN), _mix(z + np.uint64(2) * _GOLDEN),
            _mix(z + np.uint64(3) * _GOLDEN), _mix(z + np.uint64(4) * _GOLDEN))


@njit
def _next(s0, s1, s2, s3):
    """One xoshiro256** output and the new state."""
    x = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return x, s0, s1, s2, s3


@njit
def _uniform(x):
    """The top 53 bits of ``x`` as a float in [0, 1)."""
    return float(np.int64(x >> np.uint64(11))) * _U53


@njit
def _draw(table, row, K, x):
    """Outcome in [0, K) of the alias table ``table[row * K:(row + 1) * K]`` for the random word ``x``."""
    v = _uniform(x) * K
    # u <= 1 - 2**-53, so u * K rounds to at most the float below K: j < K always.
    j = np.int64(v)
    f = np.uint64(np.int64((v - j) * _TWO32))
    e = table[row * K + j]
    if f < (e >> np.uint64(32)):
        return j
    return np.int64(e & _LOW32)


@njit
def _alias_row(p, out, q, small, large):
    K = p.shape[0]
    total = 0.0
    for k in range(K):
        total += max(p[k], 0.0)
    ns = 0
    nl = 0
    for k in range(K):
        q[k] = max(p[k], 0.0) * K / total
        if q[k] < 1.0:
            small[ns] = k
            ns += 1
        else:
            large[nl] = k
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        lo = small[ns]
        hi = large[nl - 1]
        out[lo] = (np.uint64(min(q[lo] * _TWO32 + 0.5, _TWO32 - 1.0)) << np.uint64(32)) | np.uint64(hi)
        q[hi] = (q[hi] + q[lo]) - 1.0
        if q[hi] < 1.0:
            nl -= 1
            small[ns] = hi
            ns += 1
    # What is left has q = 1 up to rounding: the column always keeps its own outcome.
    for k in range(nl):
        out[large[k]] = (np.uint64(_TWO32 - 1.0) << np.uint64(32)) | np.uint64(large[k])
    for k in range(ns):
        out[small[k]] = (np.uint64(_TWO32 - 1.0) << np.uint64(32)) | np.uint64(small[k])


@njit
def _alias_rows(p, out, first, last):
    K = p.shape[1]
    q = np.empty(K)
    small = np.empty(K, dtype=np.int64)
    large = np.empty(K, dtype=np.int64)
    for m in range(first, last):
        _alias_row(p[m], out[m * K:(m + 1) * K], q, small, large)


@njit
def alias_tables(p):
    """Alias tables of the rows of ``p: (M, K)``, flattened to ``(M * K,)`` uint64 (see the module doc)."""
    M, K = p.shape
    out = np.empty(M * K, dtype=np.uint64)
    _alias_rows(p, out, 0, M)
    return out


@njit(parallel=True)
def alias_tables_parallel(p):
    """:func:`alias_tables` on all threads, for the large tables of ``P`` (built once per MDP)."""
    M, K = p.shape
    out = np.empty(M * K, dtype=np.uint64)
    blocks = min(M, 64)
    for b in prange(blocks):
        _alias_rows(p, out, b * M // blocks, (b + 1) * M // blocks)
    return out


@njit
def _step(pi_tab, P_tab, S, A, s, s0, s1, s2, s3):
    """a ~ pi(.|s), then s' ~ P(.|s, a): returns (a, s', rng state)."""
    x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
    a = _draw(pi_tab, s, A, x)
    x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
    return a, _draw(P_tab, s * A + a, S, x), s0, s1, s2, s3


@njit
def _start(rho_tab, S, seed, i):
    """The stream of episode ``i`` and its start state s0 ~ rho."""
    s0, s1, s2, s3 = _stream(seed, i)
    x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
    return _draw(rho_tab, 0, S, x), s0, s1, s2, s3


#: Episodes a thread advances in lockstep. Their steps are independent, so LLVM vectorises the loop
#: over them (AVX2/AVX-512 gathers for the table lookups) and the core overlaps their memory accesses:
#: 3x faster than one episode at a time, more once the transition tables leave the cache.
LOCKSTEP = 16


@njit(parallel=True)
def sample(rho_tab, pi_tab, P_tab, r, seed, states, actions, rewards):
    """Fill ``states, actions, rewards: (n, horizon)`` with independent episodes."""
    n, horizon = states.shape
    S, A = r.shape
    for block in prange((n + LOCKSTEP - 1) // LOCKSTEP):
        # Written out here, not in a helper taking row views: the vectorisation needs numba to see
        # that the outputs alias nothing (it then marks them noalias), which views would hide.
        first = block * LOCKSTEP
        m = min(LOCKSTEP, n - first)
        s = np.empty(LOCKSTEP, dtype=np.int64)
        rng = np.empty((LOCKSTEP, 4), dtype=np.uint64)
        for g in range(m):
            s[g], rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3] = _start(rho_tab, S, seed, first + g)
        for t in range(horizon):
            for g in range(m):
                a, s_next, rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3] = _step(
                    pi_tab, P_tab, S, A, s[g], rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3])
                states[first + g, t] = s[g]
                actions[first + g, t] = a
                rewards[first + g, t] = r[s[g], a]
                s[g] = s_next


@njit
def _truncated_episode(rho_tab, pi_tab, P_tab, r, b, gamma, gpow, seed, i, ep_s, ep_a, ep_w):
    r"""Episode ``i`` (the same draws as :func:`sample`) and its REINFORCE weights
    :math:`w_t = \gamma^t (\hat Q_t - b(s_t))`, :math:`\hat Q_t = \sum_{t' \ge t} \gamma^{t'-t} r_{t'}`
    (a backward pass)."""
    S, A = r.shape
    horizon = ep_s.shape[0]
    s, s0, s1, s2, s3 = _start(rho_tab, S, seed, i)
    for t in range(horizon):
        a, s_next, s0, s1, s2, s3 = _step(pi_tab, P_tab, S, A, s, s0, s1, s2, s3)
        ep_s[t] = s
        ep_a[t] = a
        ep_w[t] = r[s, a]
        s = s_next
    Q_hat = 0.0
    for t in range(horizon - 1, -1, -1):
        Q_hat = ep_w[t] + gamma * Q_hat
        ep_w[t] = gpow[t] * (Q_hat - b[ep_s[t]])


@njit
def _stopped_walk(pi_tab, P_tab, r, gamma, s, a, s0, s1, s2, s3):
    """From (s, a), keep stepping with probability gamma. Returns the last (s, a), the rewards of the
    pairs visited after the first, their number, and the rng state."""
    S, A = r.shape
    rewards = 0.0
    steps = 0
    x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
    while _uniform(x) < gamma:
        x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        s = _draw(P_tab, s * A + a, S, x)
        x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        a = _draw(pi_tab, s, A, x)
        rewards += r[s, a]
        steps += 1
        x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
    return s, a, rewards, steps, s0, s1, s2, s3


@njit
def _geometric_episode(rho_tab, pi_tab, P_tab, r, gamma, seed, i):
    r"""AKLM's sampler: (s, a) ~ d^pi_rho x pi where a walk from rho stops (probability 1 - gamma per
    step), then :math:`\hat Q(s, a)`: r(s, a) plus the undiscounted rewards of a second such walk.
    Returns (s, a, Q_hat, number of state-action pairs visited)."""
    S, A = r.shape
    s, s0, s1, s2, s3 = _start(rho_tab, S, seed, i)
    x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
    a = _draw(pi_tab, s, A, x)
    s, a, _, T, s0, s1, s2, s3 = _stopped_walk(pi_tab, P_tab, r, gamma, s, a, s0, s1, s2, s3)
    _, _, later, K, s0, s1, s2, s3 = _stopped_walk(pi_tab, P_tab, r, gamma, s, a, s0, s1, s2, s3)
    return s, a, r[s, a] + later, 1 + T + K


@njit(parallel=True)
def state_actions(rho_tab, pi_tab, P_tab, r, gamma, seed, states, actions, Q_hat, lengths):
    """Fill ``(n,)`` arrays with independent draws of :func:`_geometric_episode`."""
    for i in prange(states.shape[0]):
        states[i], actions[i], Q_hat[i], lengths[i] = _geometric_episode(rho_tab, pi_tab, P_tab, r, gamma, seed, i)


@njit
def _accumulate(ep_s, ep_a, ep_w, pi, C, W, G2, Ce, We, seen, visited, want_sq):
    r"""Add one episode's terms :math:`w_k \nabla \log\pi(a_k|s_k)`.

    The gradient is linear in the sums :math:`C_{s,a} = \sum w_k 1[s_k=s, a_k=a]` and
    :math:`W_s = \sum w_k 1[s_k=s]`: it is :math:`C - W \pi`. For the standard error the episode's own
    :math:`g = C^e - W^e\pi` is formed on its visited states only and its squares added to ``G2``.
    """
    A = pi.shape[1]
    m = ep_s.shape[0]
    for k in range(m):
        s = ep_s[k]
        C[s * A + ep_a[k]] += ep_w[k]
        W[s] += ep_w[k]
    if not want_sq:
        return
    nv = 0
    for k in range(m):
        s = ep_s[k]
        if not seen[s]:
            seen[s] = True
            visited[nv] = s
            nv += 1
        Ce[s * A + ep_a[k]] += ep_w[k]
        We[s] += ep_w[k]
    for v in range(nv):
        s = visited[v]
        for a in range(A):
            g = Ce[s * A + a] - We[s] * pi[s, a]
            G2[s * A + a] += g * g
            Ce[s * A + a] = 0.0
        We[s] = 0.0
        seen[s] = False


@njit(parallel=True)
def gradient(rho_tab, pi_tab, P_tab, r, pi, b, gamma, gpow, n, seed, geometric, want_sq):
    r"""Sums over ``n`` episodes: ``C: (S*A,)``, ``W: (S,)`` and ``G2: (S*A,)`` (see :func:`_accumulate`).

    Truncated REINFORCE when ``geometric`` is false (``gpow[t] = gamma**t``, ``t < horizon``), else
    AKLM's estimator with weight :math:`(\hat Q - b(s)) / (1 - \gamma)` on a single (s, a).
    Episodes are summed in chunks of ``CHUNK`` and the chunks in order, whatever the thread count.
    """
    S, A = r.shape
    horizon = 1 if geometric else gpow.shape[0]
    chunks = (n + CHUNK - 1) // CHUNK
    slots = min(chunks, max(1, PARTIAL_WORDS // (2 * S * A + S)))
    C_part = np.empty((slots, S * A))
    W_part = np.empty((slots, S))
    G2_part = np.empty((slots, S * A))
    C = np.zeros(S * A)
    W = np.zeros(S)
    G2 = np.zeros(S * A)
    for first in range(0, chunks, slots):
        m = min(slots, chunks - first)
        for k in prange(m):
            C_k, W_k, G2_k = C_part[k], W_part[k], G2_part[k]
            C_k[:] = 0.0
            W_k[:] = 0.0
            G2_k[:] = 0.0
            ep_s = np.empty(horizon, dtype=np.int64)
            ep_a = np.empty(horizon, dtype=np.int64)
            ep_w = np.empty(horizon)
            Ce = np.zeros(S * A)
            We = np.zeros(S)
            seen = np.zeros(S, dtype=np.bool_)
            visited = np.empty(min(S, horizon), dtype=np.int64)
            for i in range((first + k) * CHUNK, min(n, (first + k + 1) * CHUNK)):
                if geometric:
                    s, a, Q_hat, _ = _geometric_episode(rho_tab, pi_tab, P_tab, r, gamma, seed, i)
                    ep_s[0] = s
                    ep_a[0] = a
                    ep_w[0] = (Q_hat - b[s]) / (1.0 - gamma)
                else:
                    _truncated_episode(rho_tab, pi_tab, P_tab, r, b, gamma, gpow, seed, i, ep_s, ep_a, ep_w)
                _accumulate(ep_s, ep_a, ep_w, pi, C_k, W_k, G2_k, Ce, We, seen, visited, want_sq)
        for k in range(m):
            for j in range(S * A):
                C[j] += C_part[k, j]
                G2[j] += G2_part[k, j]
            for s in range(S):
                W[s] += W_part[k, s]
    return C, W, G2
