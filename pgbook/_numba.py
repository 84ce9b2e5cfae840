"""numba setup for pgbook's hot kernels.

numba caches compiled kernels next to the source (``pgbook/__pycache__``). On a read-only install
(a system site-packages, a container image) that fails, so we point ``NUMBA_CACHE_DIR`` at a
writable user cache first. A cache directory the user chose is always respected.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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


_dir = _cache_dir()
if _dir is not None:
    os.environ["NUMBA_CACHE_DIR"] = _dir

import numba  # noqa: E402  (must come after NUMBA_CACHE_DIR is set)

if _dir is not None:
    # numba may have been imported before pgbook and read its config already.
    numba.config.CACHE_DIR = _dir


def njit(*args, **kwargs):
    """``numba.njit`` with pgbook's defaults: cached on disk, no fastmath (results must be exact)."""
    kwargs.setdefault("cache", True)
    return numba.njit(*args, **kwargs)
