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

.PHONY: dev test unit integration lint build bench sweep clean

$(STAMP): requirements-dev.txt layers/shared/requirements.txt pyproject.toml
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found: pyenv install 3.13.0, or make PYTHON313=/path/to/python3.13"; exit 1; }
	test -x $(BIN)/python || $(PYTHON313) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

dev: $(STAMP)
	$(BIN)/python -m devtools.stack

# pytest exit code 5 = nothing collected: a broken suite, reported as such.
test: $(STAMP) lint build
	$(BIN)/python -m pytest -n 2 --dist loadfile; status=$$?; \
	  [ $$status -ne 5 ] || echo "make test: pytest collected no tests" >&2; exit $$status

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

lint: $(STAMP)
	$(BIN)/sam validate --lint

build: $(STAMP)
	$(BIN)/sam build

bench: $(STAMP)
	$(BIN)/python -m devtools.bench

# A lifecycle sweep now, against the running `make dev` stack (`make sweep NOW=2030-01-01T00:00:00Z`
# decides as if it were then).
sweep: $(STAMP)
	$(BIN)/cloudshare-admin sweep $(if $(NOW),--now $(NOW))

clean:
	rm -rf $(VENV) .aws-sam .local .pytest_cache
