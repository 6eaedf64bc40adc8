# The two commands of the README:  `make run`  (the app)  and  `make test`  (the tests).
# Each bootstraps a local virtual environment in .venv the first time (idempotent after that).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501

.PHONY: run test browser clean

# torch first, pinned: here it is a local CPU build; the range in pyproject is then met and pip
# never fetches the CUDA packages.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Debian's Chromium for the browser tests (root + apt-get); elsewhere those tests skip.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: no Chromium at /usr/bin/chromium; the browser tests will be skipped"; fi

test: $(STAMP) browser
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache
