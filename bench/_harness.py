"""Timing and reporting shared by the benchmark modules.

The machine is shared and noisy, so every number is the best of several repeats, and every claim is
a ratio against a peer measured in the same run, never an absolute time on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


def best_time(fn, *, repeat: int = 7, min_time: float = 0.05) -> float:
    """Seconds per call of ``fn()``: calls are batched until a batch lasts ``min_time``, best of ``repeat``."""
    fn()
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            break
        number *= 2 if elapsed == 0 else max(2, int(min_time / elapsed * 1.2))
    best = elapsed / number
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


@dataclass
class Row:
    """One benchmark line: pgbook's number beside its peers'.

    ``unit`` says what the numbers are: ``"s"`` (seconds per call, lower is better) or a rate such as
    ``"steps/s"`` (higher is better). ``target`` is the requirement in words and ``met`` whether this
    run meets it (``None`` when the row only informs).
    """

    group: str
    case: str
    unit: str
    ours: float
    peers: dict[str, float] = field(default_factory=dict)
    target: str = ""
    met: bool | None = None

    def ratio(self, peer: str) -> float:
        """How many times better pgbook is than ``peer`` (> 1 means pgbook wins)."""
        other = self.peers[peer]
        return other / self.ours if self.unit == "s" else self.ours / other


def fmt(x: float, unit: str) -> str:
    if unit == "s":
        for scale, name in ((1, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
            if x >= scale:
                return f"{x / scale:.3g} {name}"
        return f"{x / 1e-9:.3g} ns"
    for scale, name in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, "")):
        if x >= scale:
            return f"{x / scale:.3g} {name}{unit}"
    return f"{x:.3g} {unit}"


def report(rows: list[Row]) -> str:
    """The table: one line per row, each peer with its ratio (pgbook's advantage, > 1 = faster)."""
    lines = []
    group = None
    for row in rows:
        if row.group != group:
            group = row.group
            lines.append(f"\n## {group}")
        peers = "; ".join(f"{name} {fmt(v, row.unit)} (x{row.ratio(name):.2f})" for name, v in row.peers.items())
        verdict = {True: "MET", False: "MISSED", None: ""}[row.met]
        target = f"  target: {row.target} {verdict}".rstrip() if row.target else ""
        lines.append(f"- {row.case}: pgbook {fmt(row.ours, row.unit)}" + (f" | {peers}" if peers else "") + target)
    return "\n".join(lines)
