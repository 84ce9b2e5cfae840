"""Live sliders: milliseconds per fresh move of each chapter's interactive figures, in a live kernel.

Each chapter's ``.ipynb`` twin runs top to bottom in a kernel of this environment, as a reader's
"Run All". Then, as a reader would, each figure is reached (``READ`` seconds after the last one: the
reader scrolls to it and looks) and each of its sliders is moved through every value it has not shown
yet, one move every ``PACE`` seconds, by the front end's own message (an ipywidgets ``update`` of the
slider's ``index``); a move's time runs from sending it to receiving the figure's new image. The
target is the issue's: the median fresh move of every chapter within 100 ms; the max is printed too
(a reader who moves a slider before the figure's background drawing has reached that value waits for
one drawing). "Before" is what such a move cost when every new value was drawn on the move: the same
figure's ``render`` for those values, timed in the same kernel after the moves (timing it first would
occupy the kernel and hold back the background drawing the moves are measuring)."""

from __future__ import annotations

import itertools
import json
import statistics
import time

from ._harness import Row
from ._notebooks import CHAPTERS, bookfiles, has_sliders, run

from live_kernel import after_run_all  # noqa: E402  (tools/, on the path through _notebooks)

#: Seconds between two moves: a reader stepping through the values.
PACE = 0.3
#: Seconds from the end of "Run All" (or the last figure's moves) to a figure's first move.
READ = 1.0

#: Run in the kernel after the chapter: each figure's widget models (no drawing: the kernel stays idle).
IDS = """
import json
from pgbook.viz.interactive import Interactive
_figures = [v for v in Out.values() if isinstance(v, Interactive)]
print(json.dumps([dict(image=f.widget.children[-1].model_id,
                       sliders=[(c.model_id, c.index, len(c.options)) for c in f.widget.children[:-1]])
                  for f in _figures]))
"""

#: Run after the moves: the old cost of each slider's fresh moves, per figure and slider.
BEFORE = """
import time

def _draw_times(f, slider):
    index, times = list(f.initial), []
    for k in range(f.shape[slider]):
        if k == f.initial[slider]:
            continue
        index[slider] = k
        t0 = time.perf_counter()
        f.render(tuple(index))
        times.append(time.perf_counter() - t0)
    return times

print(json.dumps([[_draw_times(f, j) for j in range(len(f.sliders))] for f in _figures]))
"""


def _move(kc, slider: str, image: str, index: int, timeout: float = 60) -> float:
    """Seconds from the front end's move of ``slider`` to ``index`` until ``image`` has its new picture."""
    msg = kc.session.msg("comm_msg", {"comm_id": slider, "data": {
        "method": "update", "state": {"index": index}, "buffer_paths": []}})
    t0 = time.perf_counter()
    kc.shell_channel.send(msg)
    while True:
        reply = kc.get_iopub_msg(timeout=timeout)
        content = reply["content"]
        if (reply["msg_type"] == "comm_msg" and content["comm_id"] == image
                and content["data"].get("method") == "update" and reply["buffers"]):
            return time.perf_counter() - t0


def measure(page: str) -> tuple[list[float], list[float]]:
    """(before, after): seconds per fresh move of every slider of the chapter."""
    before, after = [], []
    with after_run_all(bookfiles.notebook(page), "python3") as (_, kc):
        figures = json.loads(run(kc, IDS).strip().splitlines()[-1])
        for figure in figures:
            time.sleep(READ)
            for slider, start, n in figure["sliders"]:
                for k in [*range(start + 1, n), *range(start - 1, -1, -1)]:
                    time.sleep(PACE)
                    after.append(_move(kc, slider, figure["image"], k))
                _move(kc, slider, figure["image"], start)  # back, for the next slider
        for drawn in json.loads(run(kc, BEFORE).strip().splitlines()[-1]):
            before.extend(itertools.chain.from_iterable(drawn))
    return before, after


def rows() -> list[Row]:
    out = []
    for page in (p for p in CHAPTERS if has_sliders(p)):
        before, after = measure(page)
        ms = lambda xs: f"median {statistics.median(xs) * 1e3:.0f} ms, max {max(xs) * 1e3:.0f} ms"  # noqa: E731
        out.append(Row("sliders", f"{page}: fresh slider move ({len(after)} moves; {ms(after)}; before: {ms(before)})",
                       "s", statistics.median(after), {"drawn on the move (before)": statistics.median(before)},
                       "median move <= 100 ms", statistics.median(after) <= 0.1))
    return out
