# The two front-door commands are `make run` and `make test`; every other target is one step of them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := conformance/node_modules/.installed

.PHONY: run test lint bench soak seed demo admin conformance conformance-deps crash-soak clean

run: $(STAMP)
	$(BIN)/python app.py

test: $(STAMP) $(NODE_STAMP) lint
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python specs/tools/derive.py --all --check

# QA's depth: the conformance tests of `make test` with schemathesis' coverage phase and more cases.
conformance: $(STAMP) $(NODE_STAMP)
	TMF_CONFORMANCE=full $(BIN)/python -m pytest -n 2 -m conformance $(PYTEST_ARGS)

# QA's depth for the crash tests: each workload killed (SIGKILL) many more times, over more work,
# at moments drawn from a new seed each run; TMF_CRASH_SEED=<n> repeats the run that printed it.
ifndef TMF_CRASH_SEED
TMF_CRASH_SEED := $(shell date +%s)
endif
crash-soak: $(STAMP)
	@echo "crash-soak: TMF_CRASH_SEED=$(TMF_CRASH_SEED)"
	TMF_CRASHES=long TMF_CRASH_SEED=$(TMF_CRASH_SEED) $(BIN)/python -m pytest -n 2 tests/test_crash_recovery.py $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# The server's resident memory over 10 minutes of mixed load (SOAK_ARGS="--help" for more).
soak: $(STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# Loads the TMF620 demo catalog into the server `make run` started (SEED_ARGS="--help" for more).
seed: $(STAMP)
	$(BIN)/python -m tmf_apis.tmf620.demo $(SEED_ARGS)

# Loads the catalog (unless it has one) and drives customers, orders, fulfilment, bill runs and
# payments through the server `make run` started (DEMO_ARGS="--help" for more).
demo: $(STAMP)
	$(BIN)/python -m admin demo $(DEMO_ARGS)

# The operator's command line: make admin ARGS="clients list" (ARGS="--help" for every command).
admin: $(STAMP)
	$(BIN)/python -m admin $(ARGS)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# newman runs the official conformance test kits; pinned in conformance/package-lock.json.
conformance-deps: $(NODE_STAMP)
$(NODE_STAMP): conformance/package.json conformance/package-lock.json
	cd conformance && npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) conformance/node_modules .pytest_cache
