"""Shared by the benchmarks that run the chapters' notebooks in a kernel (sliders, colab)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import bookfiles  # noqa: E402

CHAPTERS = bookfiles.chapters()


def has_sliders(page: str) -> bool:
    """Whether the chapter shows live interactive figures (``pgbook.viz.interactive``)."""
    return "viz.interactive(" in bookfiles.source(page).read_text(encoding="utf-8")


def run(kc, code: str, timeout: float = 600) -> str:
    """Execute ``code`` in the kernel of the blocking client ``kc``; return what it printed."""
    msg_id = kc.execute(code)
    printed = ""
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed += msg["content"]["text"]
        if msg["msg_type"] == "error":
            raise RuntimeError("\n".join(msg["content"]["traceback"]))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return printed
