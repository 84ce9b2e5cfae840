"""A chapter's tests share its expensive runs through ``functools.cache``, which lives in one process:
with ``--dist loadgroup`` (make test) each ``test_<chapter>.py`` runs in one worker, in the group its
wrong twins (``test_twins.py``) use, rather than recomputing those runs in both workers."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        module = getattr(item, "module", None)
        name = module.__name__ if module else ""
        if name.startswith("chapters.test_") and name != "chapters.test_twins":
            item.add_marker(pytest.mark.xdist_group(name.removeprefix("chapters.test_")))
