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

.PHONY: run test browser clean check-setup

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
# TORCH_PICK (a shell command; $(1) is a Python with pip) prints which of the three applies:
# default, local or cpu. The install and `make check-setup` both use it, so the dry run shows
# exactly what `make` will do (tests/test_setup.py simulates each case).
TORCH_PICK = if nvidia-smi >/dev/null 2>&1 || [ "$$(uname -s)" = Darwin ]; then echo default; \
  elif $(1) -m pip install -q --dry-run --ignore-installed --no-index --no-deps "$(TORCH)" \
       >/dev/null 2>&1; then echo local; else echo cpu; fi
# Debian's Chromium, where the browser tests look for it first (see explorer/ui/testing.py)
CHROMIUM_BIN ?= /usr/bin/chromium

$(STAMP): pyproject.toml
	@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); } \
	  || { echo "error: could not create $(VENV) with $(PYTHON) -m venv (on Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	@case "$$($(call TORCH_PICK,$(PY)))" in \
	  default) echo "installing $(TORCH) (default build)"; $(PY) -m pip install -q "$(TORCH)";; \
	  local) echo "installing $(TORCH) from the local wheel pip is configured with (no NVIDIA GPU)"; \
	    $(PY) -m pip install -q --no-index --no-deps "$(TORCH)" && $(PY) -m pip install -q "$(TORCH)";; \
	  *) echo "no NVIDIA GPU: installing the CPU build of $(TORCH) from $(TORCH_CPU_INDEX)"; \
	    $(PY) -m pip install -q "$(TORCH)" --index-url $(TORCH_CPU_INDEX);; esac \
	  || { echo "error: installing torch failed; see above, then run 'make clean' and try again"; exit 1; }
	@$(PY) -m pip install -q -e '.[test]' \
	  || { echo "error: installing the explorer failed; see above, then run 'make clean' and try again"; exit 1; }
	@cd / && $(abspath $(PY)) -c 'import explorer, streamlit, plotly, networkx, numpy, torch' \
	  || { echo "error: $(VENV) is still broken; run 'make clean' and try again"; exit 1; }
	touch $(STAMP)

# What `make run` / `make test` would install here, and whether the browser tests will run;
# changes nothing (a dry run: pip resolves torch without installing, apt is only asked).
check-setup:
	@py=$(PY); [ -x "$$py" ] || py=$(PYTHON); \
	case "$$($(call TORCH_PICK,$$py))" in \
	  default) echo "torch: $(TORCH), the default build from the package index (nvidia-smi answers, or macOS)";; \
	  local) echo "torch: $(TORCH) from the local wheel pip is configured with (no NVIDIA GPU)";; \
	  *) echo "torch: $(TORCH), the CPU build from $(TORCH_CPU_INDEX) (no NVIDIA GPU, no local wheel)";; esac; \
	if [ -n "$$CHROMIUM" ] && [ -x "$$CHROMIUM" ]; then echo "browser tests: run with $$CHROMIUM"; \
	elif [ -x $(CHROMIUM_BIN) ]; then echo "browser tests: run with $(CHROMIUM_BIN)"; \
	elif command -v apt-cache >/dev/null 2>&1 && apt-cache show chromium >/dev/null 2>&1; then \
	  echo "browser tests: 'make browser' installs Debian's chromium (needs root), then they run"; \
	else echo "browser tests: skipped with the reason (no 'chromium' apt package here; Ubuntu has none outside snap): set CHROMIUM=/path/to/chrome to run them"; fi

run: $(STAMP)
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Debian's Chromium for the browser tests (root + apt-get). Where there is no such package
# (Ubuntu ships only a snap stub) or no root, this says so and the browser tests are skipped
# with the reason; it never stops `make test`.
browser:
	@if [ -x $(CHROMIUM_BIN) ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } \
	  || echo "note: no 'chromium' package here (Ubuntu has none outside snap); the browser tests will be skipped"; \
	else echo "note: no Chromium at $(CHROMIUM_BIN); the browser tests will be skipped (set CHROMIUM=/path/to/chromium to use another)"; fi

test: $(STAMP) browser
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache
