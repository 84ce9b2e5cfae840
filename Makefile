# pgbook: `make book` builds the HTML book, `make test` runs every check. See README.md.
# Needs only Python >= 3.11 and make: everything else is installed into .venv/ on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest
# pip stamps: re-install only when a requirements file (or pyproject.toml) changed.
READER := $(VENV)/.stamp-requirements
DEV := $(VENV)/.stamp-requirements-dev
BENCH := $(VENV)/.stamp-requirements-bench

# Fails with a clear message on an old interpreter (used for $(PYTHON) and for an existing .venv).
NEED_311 = -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pgbook needs Python 3.11 or newer, \
	but %s is %d.%d: run make PYTHON=python3.11 (or newer)" % ((sys.executable,) + tuple(sys.version_info[:2])))'

.PHONY: book test lab bench notebooks clean

book: $(READER)
	$(PY) tools/build_book.py

# In order, stopping at the first failing step: unit and property tests; the fast ones again on
# numba's pure-Python path; every chapter notebook from a clean kernel; the book; the HTML checks
# and the browser tests on the built book.
test: $(DEV)
	$(PYTEST) tests pgbook --doctest-modules -m "not book and not notebook" -n 2
	NUMBA_DISABLE_JIT=1 $(PYTEST) tests -m "not slow and not book and not notebook" -n 2
	$(PYTEST) tests/book -m notebook
	$(PY) tools/build_book.py
	$(PYTEST) tests/book -m book

# JupyterLab on the chapters, with .md chapters opening as notebooks (jupytext). The setting goes
# into .venv's own Jupyter configuration, so that your other JupyterLab setups are left alone.
lab: $(READER)
	$(VENV)/bin/jupytext-config --settings-file $(VENV)/etc/jupyter/labconfig/default_setting_overrides.json \
		set-default-viewer markdown myst
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=book

bench: $(BENCH)
	$(PY) -m bench

# Regenerate each chapter's .ipynb (and its setup cell) from the .md; commit the result.
notebooks: $(READER)
	$(PY) tools/sync_notebooks.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

$(PY):
	@$(PYTHON) $(NEED_311)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(READER): requirements.txt pyproject.toml | $(PY)
	@$(PY) $(NEED_311)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV): requirements-dev.txt $(READER)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(BENCH): requirements-bench.txt $(READER)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@
