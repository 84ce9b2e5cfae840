# pgbook: `make book` builds the HTML book, `make test` runs every check. See README.md.
# Needs only Python >= 3.11 and make: everything else is installed into .venv/ on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest
# pip stamps: re-install only when a requirements file (or pyproject.toml) changed.
READER := $(VENV)/.stamp-requirements
DEV := $(VENV)/.stamp-requirements-dev
PDF := $(VENV)/.stamp-requirements-pdf
BENCH := $(VENV)/.stamp-requirements-bench
# Colab's package versions, for the Colab check of make test (its own venv; see requirements-colab.txt).
COLAB_VENV := .venv-colab
COLAB := $(COLAB_VENV)/.stamp-requirements-colab
COLAB_DEPS := $(COLAB_VENV)/.stamp-requirements-colab-deps

# Fails with a clear message on an old interpreter (used for $(PYTHON) and for an existing .venv).
NEED_311 = -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pgbook needs Python 3.11 or newer, \
	but %s is %d.%d: run make PYTHON=python3.11 (or newer)" % ((sys.executable,) + tuple(sys.version_info[:2])))'

.PHONY: book pdf test test-built test-readers lab bench notebooks clean

book: $(READER)
	$(PY) tools/build_book.py

# The whole book as one PDF, _build/pdf/pgbook.pdf (and a copy in _build/html/ for the download
# button), printed by Debian's chromium from the HTML build: the book is built first, which executes
# nothing when it is current.
pdf: $(PDF)
	$(PY) tools/build_book.py
	$(PY) tools/build_pdf.py

# In order, stopping at the first failing step: unit and property tests, pgbook's doctests (and the
# .ipynb twins' conversion), a chapter's tests in one worker so that they share its cached runs
# (tests/chapters/conftest.py); pgbook's fast unit tests again on numba's pure-Python path, where an
# index out of bounds raises instead of reading garbage (the chapters' tests would only repeat them,
# slowly); then two steps side by side (test-built, test-readers), each one's output shown when it ends.
# test-built: the book, which executes each chapter once, one at a time (a core is left free), and its
# PDF; then, on what the build produced: the chapters' executed notebooks, the HTML checks, every
# check's wrong twin (tests/chapters/test_twins.py), the browser and PDF checks. test-readers: each
# chapter's .ipynb as readers run it, in JupyterLab in a browser and in Colab's package versions
# (the twins, checked current by the first step; not the build).
# The slowest tests are listed at the end of each, to keep make test well under 20 minutes.
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target $(DEV) $(COLAB)
	$(PYTEST) tests pgbook --doctest-modules -m "not book and not notebook" -n 2 --dist loadgroup --durations=15
	NUMBA_DISABLE_JIT=1 $(PYTEST) tests pgbook --doctest-modules --ignore=tests/chapters --ignore=tests/book -m "not slow and not book and not notebook" -n 2
	$(MAKE) --no-print-directory -j2 --output-sync=target test-built test-readers

test-built: $(DEV)
	$(PY) tools/build_book.py
	$(PY) tools/build_pdf.py --unless-no-browser
	$(PYTEST) tests -m "book and not notebook" -n 2 --dist loadgroup --durations=20

test-readers: $(DEV) $(COLAB)
	$(PYTEST) tests -m notebook -n 2 --dist loadgroup --durations=10

# JupyterLab on the book as Binder sets it up (tools/lab_setup.py): it opens on the first chapter's
# .ipynb. Its configuration lives in .venv/jupyter-config, so that your other JupyterLab setups are left alone.
LAB_CONFIG := $(VENV)/jupyter-config
lab: $(READER)
	$(PY) tools/lab_setup.py $(LAB_CONFIG)
	JUPYTER_CONFIG_DIR=$(LAB_CONFIG) $(VENV)/bin/jupyter lab

# Also runs every chapter as a reader does: live slider moves (sliders) and Colab's first run (colab, in .venv-colab).
bench: $(BENCH) $(COLAB)
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

$(PDF): requirements-pdf.txt $(READER)
	$(PY) -m pip install --quiet -r requirements-pdf.txt
	touch $@

$(DEV): requirements-dev.txt $(PDF)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Colab's versions first (make test installs them while it installs .venv), then pgbook as the
# chapters' setup cell installs it there (pip keeps what is already satisfied), then pgbook's current
# code. That waits for .venv (order only): its pip builds the editable pgbook in the source tree
# (pgbook.egg-info, build/) at each step, as this one does.
$(COLAB_DEPS): requirements-colab.txt
	@$(PYTHON) $(NEED_311)
	test -x $(COLAB_VENV)/bin/python || $(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet -r requirements-colab.txt
	touch $@

$(COLAB): $(COLAB_DEPS) pyproject.toml $(wildcard pgbook/*.py pgbook/*/*.py) | $(DEV)
	$(COLAB_VENV)/bin/python -m pip install --quiet .
	$(COLAB_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall .
	touch $@

$(BENCH): requirements-bench.txt $(READER)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@
