# Every target sets itself up: a .venv with the pinned dependencies, and for tests a redis-server.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := src:.

.PHONY: run test invoke bench lint redis-server clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m local.run

test: $(STAMP) redis-server
	@$(VENV)/bin/ruff check src local tests bench
	@$(PY) -m pytest

invoke: $(STAMP)
	@$(PY) -m local.invoke $(FUNCTION) $(EVENT)

bench: $(STAMP) redis-server
	@$(PY) -m bench

lint: $(STAMP)
	@$(VENV)/bin/ruff check src local tests bench
	@$(VENV)/bin/ruff format --check src local tests bench
	@$(VENV)/bin/cfn-lint template.yaml

# Tests and the Redis benchmarks start their own redis-server on a free loopback port;
# this only makes sure the binary exists.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server"; \
	  (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null); }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
