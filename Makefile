# Every target sets itself up: a .venv with the pinned dependencies, and for tests a redis-server.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# `make run` needs only the runtime and the emulation; the dev tools come with the first `make test`.
LOCAL_STAMP := $(VENV)/.installed-local
export PYTHONPATH := src:.

.PHONY: run run-fresh soak test invoke bench lint redis-server chromium clean

$(LOCAL_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q -e '.[local]'
	@touch $(LOCAL_STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP) $(LOCAL_STAMP)

# State is kept in .local/state (HC_DATA_DIR); run-fresh starts it empty. The status cache is a
# redis-server the runtime starts itself (HC_CACHE_BACKEND, docs/local-runtime.md).
run: $(LOCAL_STAMP) redis-server
	@$(PY) -m local.run

run-fresh: $(LOCAL_STAMP) redis-server
	@HC_FRESH=1 $(PY) -m local.run

# A bounded soak of the local twin: SOAK_MINUTES (default 30), then a report.
soak: $(LOCAL_STAMP) redis-server
	@SOAK_MINUTES=$${SOAK_MINUTES:-30} $(PY) -m bench.soak

test: $(STAMP) redis-server chromium
	@$(VENV)/bin/ruff check src local tests bench
	@$(PY) -m pytest

invoke: $(LOCAL_STAMP)
	@$(PY) -m local.invoke $(FUNCTION) $(EVENT)

bench: $(STAMP) redis-server
	@$(PY) -m bench

lint: $(STAMP)
	@$(VENV)/bin/ruff check src local tests bench
	@$(VENV)/bin/ruff format --check src local tests bench
	@$(VENV)/bin/cfn-lint template.yaml

# --- Deploying (docs/deploy.md) -------------------------------------------------------------------
.PHONY: build deploy requirements
SAM := $(VENV)/bin/sam
CONFIG_ENV ?= default
LAYER_BUILD := .aws-sam/build/DependenciesLayer/python
export SAM_CLI_TELEMETRY ?= 0

# The dependencies layer's requirements.txt, generated from pyproject.toml's [project].dependencies.
requirements: $(STAMP)
	@$(PY) layers/requirements.py

# Lint, then build every function and the dependencies layer (needs python3.12 on PATH), then show
# what the layer holds and how big each artifact is.
build: $(STAMP)
	@$(SAM) validate --lint
	@$(SAM) build --config-env $(CONFIG_ENV)
	@echo "dependencies in the layer:"; ls $(LAYER_BUILD) | sed -n 's/\.dist-info$$//p' | sed 's/^/  /'
	@du -sh .aws-sam/build/*/ | sed 's|.aws-sam/build/||'

# Guided the first time (samconfig.toml has no region yet for CONFIG_ENV; it saves the answers), or GUIDED=1.
deploy: build
	@if [ -n "$(GUIDED)" ] || ! $(PY) -c 'import sys, tomllib; \
	    config = tomllib.load(open("samconfig.toml", "rb")).get("$(CONFIG_ENV)", {}); \
	    sys.exit("region" not in config.get("deploy", {}).get("parameters", {}))'; then \
	  $(SAM) deploy --guided --config-env $(CONFIG_ENV); \
	else \
	  $(SAM) deploy --config-env $(CONFIG_ENV); \
	fi

# Tests, the Redis benchmarks and the local twin start their own redis-server on a free loopback port;
# this only makes sure the binary exists (a `command -v` when it does).
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server"; \
	  (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null); }

# The browser tests drive Debian's chromium through Playwright (never `playwright install`).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium"; \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null); }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
