# The two commands of the README:  `make run`  (the app)  and  `make test`  (the tests).
# Each bootstraps a local virtual environment in .venv the first time (idempotent after that).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501
TORCH  ?= torch==2.13.0
# PyTorch's documented index of CPU-only wheels (https://pytorch.org/get-started/locally/)
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: run test browser clean

# A .venv that is half made (an interrupted install, a removed or upgraded Python) is detected
# on every run — its Python must import the app's packages from outside the checkout — and its
# stamp dropped, so the rule below repairs or rebuilds it. If that fails too: `make clean`.
VENV_OK := $(shell [ -x $(PY) ] && cd / && $(abspath $(PY)) -c \
             'import explorer, streamlit, plotly, networkx, numpy, torch' >/dev/null 2>&1 && echo yes)
ifneq ($(VENV_OK),yes)
  $(shell rm -f $(STAMP))
endif

# torch first, pinned, so that the range in pyproject.toml is already met and pip never swaps it:
#  - an NVIDIA GPU (nvidia-smi answers) or macOS: the default wheel from the package index
#    (CUDA on Linux, CPU/MPS on macOS);
#  - Linux without a GPU: the CPU build. A pinned wheel that pip's own configuration already
#    provides locally (find-links, as on our development machines, whose local wheel is
#    2.13.0+cpu) is taken first, offline (--no-index --no-deps; its small dependencies then come
#    from the configured index); otherwise the CPU wheel comes from PyTorch's CPU index as
#    PyTorch documents, never the gigabytes of CUDA packages.
$(STAMP): pyproject.toml
	@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); } \
	  || { echo "error: could not create $(VENV) with $(PYTHON) -m venv (on Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	@if nvidia-smi >/dev/null 2>&1 || [ "$$(uname -s)" = Darwin ]; then \
	  echo "installing $(TORCH) (default build)"; $(PY) -m pip install -q "$(TORCH)"; \
	elif $(PY) -m pip install -q --no-index --no-deps "$(TORCH)" >/dev/null 2>&1; then \
	  echo "installed $(TORCH) from the local wheel pip is configured with (no NVIDIA GPU)"; \
	  $(PY) -m pip install -q "$(TORCH)"; \
	else echo "no NVIDIA GPU: installing the CPU build of $(TORCH) from $(TORCH_CPU_INDEX)"; \
	  $(PY) -m pip install -q "$(TORCH)" --index-url $(TORCH_CPU_INDEX); fi \
	  || { echo "error: installing torch failed; see above, then run 'make clean' and try again"; exit 1; }
	@$(PY) -m pip install -q -e '.[test]' \
	  || { echo "error: installing the explorer failed; see above, then run 'make clean' and try again"; exit 1; }
	@cd / && $(abspath $(PY)) -c 'import explorer, streamlit, plotly, networkx, numpy, torch' \
	  || { echo "error: $(VENV) is still broken; run 'make clean' and try again"; exit 1; }
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Debian's Chromium for the browser tests (root + apt-get). Where there is no such package
# (Ubuntu ships only a snap stub) or no root, this says so and the browser tests are skipped
# with the reason; it never stops `make test`.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } \
	  || echo "note: no 'chromium' package here (Ubuntu has none outside snap); the browser tests will be skipped"; \
	else echo "note: no Chromium at /usr/bin/chromium; the browser tests will be skipped (set CHROMIUM=/path/to/chromium to use another)"; fi

test: $(STAMP) browser
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache
