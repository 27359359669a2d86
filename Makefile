# cloudshare — `make dev` runs it, `make test` proves it. Both install what they need first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Python 3.13: pyenv's 3.13.x, else a python3.13 on PATH that runs (a pyenv shim may not);
# override with `make PYTHON313=/path/to/python3.13`.
PYTHON313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13.*/bin/python3.13) \
  $(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null))
export SAM_CLI_TELEMETRY := 0
# sam build needs a python3.13 on PATH; the venv's is one.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: dev test unit integration lint build bench soak sweep openapi openapi-check fuzz check-consistency clean

# uv installs the pinned requirements in seconds where pip takes minutes (parallel downloads, no bytecode
# compiled up front: what is imported is compiled on first use); pip stays in the venv for `sam build`.
UV := uv==0.9.13
$(STAMP): requirements-dev.txt layers/shared/requirements.txt layers/passkeys/requirements.txt cli/requirements.txt pyproject.toml
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found: pyenv install 3.13.0, or make PYTHON313=/path/to/python3.13"; exit 1; }
	test -x $(BIN)/python || $(PYTHON313) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check $(UV)
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-dev.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $@

# The browser tests drive Debian's Chromium through ChromeDriver (no browser downloads).
CHROMEDRIVER := /usr/bin/chromedriver
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMEDRIVER):
	@command -v apt-get >/dev/null || { echo "the browser tests need Chromium and ChromeDriver at /usr/bin"; exit 1; }
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver

dev: $(STAMP)
	$(BIN)/python -m devtools.stack

# Tests cache bytecode even where PYTHONDONTWRITEBYTECODE is set (some sandboxes and CI images): without
# it every pytest process, xdist worker and local-stack worker compiles the same modules again, and
# pytest rewrites the asserts of its plugins' packages (Hypothesis: ~3 s a process) every time.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

# Coverage ([tool.coverage] in pyproject.toml) fails the run under COVERAGE_FLOOR, a floor that may only
# rise: lines (not branches, see pyproject.toml) measured 91.0% in a full run (2026-12-02); one point of
# room for runs that take other paths.
COVERAGE_FLOOR := 90
# Much of the suite waits (on local stacks, Chromium, subprocesses): with 2 workers a run kept the 2 CPUs
# busy about half of the time; 4 workers (each with its own stack) keep them busy (a quiet run: 9 min).
PYTEST_WORKERS ?= 4
# lint, build and openapi-check side by side (each output kept together), then the tests; pytest's exit
# code 5 (nothing collected) is a broken suite, reported as such.
test: $(STAMP) $(CHROMEDRIVER)
	$(MAKE) --no-print-directory -j 3 --output-sync=target lint build openapi-check
	$(PYTEST) -n $(PYTEST_WORKERS) --dist loadfile --cov --cov-report=term:skip-covered \
	  --cov-fail-under=$(COVERAGE_FLOOR); status=$$?; \
	  [ $$status -ne 5 ] || echo "make test: pytest collected no tests" >&2; exit $$status

unit: $(STAMP)
	$(PYTEST) tests/unit

integration: $(STAMP) $(CHROMEDRIVER)
	$(PYTEST) tests/integration

# check_docs: README and docs/ lines of at most 120 characters, links and anchors that resolve, an index
# (docs/README.md) that links every page.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m devtools.check_docs
	$(BIN)/mypy
	$(BIN)/sam validate --lint

build: $(STAMP)
	$(BIN)/sam build

# Measured numbers, as ratios (each part exits non-zero when it misses its target).
bench: $(STAMP)
	$(BIN)/python -m devtools.bench
	$(BIN)/python -m devtools.bench_uploads
	$(BIN)/python -m devtools.bench_public
	$(BIN)/python -m devtools.bench_listing
	$(BIN)/python -m devtools.bench_sweeps
	$(BIN)/python -m devtools.bench_scale
	$(BIN)/python -m devtools.bench_multipart

# A long mixed session against a fresh local stack; fails on any 5xx, wrong answer, inconsistency,
# memory growth or misattributed log line (`make soak CLIENTS=4 DURATION=60` for a short one).
soak: $(STAMP)
	$(BIN)/python -m devtools.soak --clients $(or $(CLIENTS),16) --seconds $(or $(DURATION),600)

# The OpenAPI document in the layer is generated from the handlers; the check fails when stale.
openapi: $(STAMP)
	$(BIN)/python -m devtools.openapi

openapi-check: $(STAMP)
	$(BIN)/python -m devtools.openapi --check

# Generated requests against a fresh local stack (devtools/fuzz.py): EXAMPLES per operation (default 300,
# over 10,000 requests in all, checked), hostile public headers and bodies, stateful sequences; 0 5xx.
fuzz: $(STAMP)
	$(BIN)/python -m devtools.fuzz $(EXAMPLES)

# Invariants (counters vs items vs S3 objects) of the running `make dev` stack, or
# `make check-consistency ARGS="--stack cloudshare"` for a deployed one.
check-consistency: $(STAMP)
	$(BIN)/cloudshare-admin $(ARGS) check-consistency

# A lifecycle sweep now, against the running `make dev` stack (`make sweep NOW=2030-01-01T00:00:00Z`
# decides as if it were then).
sweep: $(STAMP)
	$(BIN)/cloudshare-admin sweep $(if $(NOW),--now $(NOW))

clean:
	rm -rf $(VENV) .aws-sam .local .pytest_cache .mypy_cache .coverage
