"""numba setup for pgbook's hot kernels: the cache directory, :func:`njit` and :func:`kernel_array`.

numba caches compiled kernels next to the source (``pgbook/__pycache__``). On a read-only install
(a system site-packages, a container image) that fails, so we point ``NUMBA_CACHE_DIR`` at a
writable user cache first. A cache directory the user chose is always respected.

numba invalidates a cached kernel only when the file that defines it changes, but the kernels call
(and inline) kernels of other files: the run loops carry a copy of :mod:`pgbook._evaluation`. So
when any file with a kernel has changed since the cache next to the source was written, which
happens while pgbook is being edited, that whole cache is dropped before anything is compiled.

Compiling takes seconds (a fresh Colab runtime has no cache): in a notebook kernel the first kernel
that compiles, not one loaded from the cache, prints :data:`COMPILING` once, on stdout (the book's
build fails on stderr, and compiles nothing: ``tools/build_book.py`` runs :mod:`pgbook.precompile`
first).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


def _cache_dir() -> str | None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    package = Path(__file__).resolve().parent
    if os.access(package, os.W_OK):
        return None
    for base in (os.environ.get("XDG_CACHE_HOME"), Path.home() / ".cache", tempfile.gettempdir()):
        if base is None:
            continue
        target = Path(base) / "pgbook-numba"
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(target, os.W_OK):
            return str(target)
    return None


def _drop_stale_cache() -> None:
    """Empty ``pgbook/__pycache__`` of numba's files if a kernel source changed since they were written."""
    package = Path(__file__).resolve().parent
    cache = package / "__pycache__"
    if os.environ.get("NUMBA_CACHE_DIR") or not os.access(package, os.W_OK):
        return
    digest = hashlib.sha256()
    for source in sorted(package.glob("*.py")):
        text = source.read_bytes()
        if b"@njit" in text:
            digest.update(source.name.encode() + b"\0" + text)
    stamp = cache / "pgbook-kernel-sources.sha256"
    try:
        if stamp.read_text() == digest.hexdigest():
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for f in cache.glob("*.nb[ic]"):
            f.unlink(missing_ok=True)
        # Written whole and renamed, so that a process importing pgbook at the same moment (a test
        # worker) never reads half a stamp.
        partial = stamp.with_name(f"{stamp.name}.{os.getpid()}")
        partial.write_text(digest.hexdigest())
        os.replace(partial, stamp)
    except OSError:
        pass  # numba then cannot cache there either, and compiles in memory


_drop_stale_cache()
_dir = _cache_dir()
if _dir is not None:
    os.environ["NUMBA_CACHE_DIR"] = _dir

import numba  # noqa: E402  (must come after NUMBA_CACHE_DIR is set)
import numba.core.event  # noqa: E402

if _dir is not None:
    # numba may have been imported before pgbook and read its config already.
    numba.config.CACHE_DIR = _dir


#: Printed once per process, in a notebook kernel, when pgbook's first kernel compiles.
COMPILING = "compiling pgbook's fast kernels, about 10 s, once per runtime"


class _FirstCompile(numba.core.event.Listener):
    """Says :data:`COMPILING` when numba starts compiling one of pgbook's kernels (its "numba:compile"
    event comes only after the on-disk cache had nothing to load)."""

    said = False

    def on_start(self, event):
        if self.said or not event.data["dispatcher"].py_func.__module__.startswith("pgbook."):
            return
        self.said = True
        if _in_a_kernel():
            print(COMPILING, file=sys.stdout, flush=True)

    def on_end(self, event):
        pass


def _in_a_kernel() -> bool:
    """Whether this is a notebook's kernel (where a reader waits on a silent cell), not a script or test."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return getattr(shell, "kernel", None) is not None


numba.core.event.register("numba:compile", _FirstCompile())


def njit(*args, **kwargs):
    """``numba.njit`` with pgbook's defaults: cached on disk, no fastmath (results must be exact)."""
    kwargs.setdefault("cache", True)
    return numba.njit(*args, **kwargs)


def kernel_array(x) -> np.ndarray:
    """``x`` as a read-only C-contiguous float64 array (a copy only if needed).

    The one array type the kernels are called with, whatever the caller passed (a list, a writable
    or Fortran-ordered array), so each kernel compiles and caches exactly one specialisation.
    """
    v = np.ascontiguousarray(x, dtype=np.float64).view()
    v.flags.writeable = False
    return v
