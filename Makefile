# Two commands for a newcomer: `make run` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# The suite waits on brokers, databases and processes more than on the CPU: three
# workers fit two cores.
PYTEST_WORKERS ?= 3

# pip-tools, in a venv of its own, writes the lock files (`make lock`).
LOCK_VENV  := .venv-lock
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --all-build-deps --strip-extras \
              --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

.PHONY: run test test-long check lint format bench chaos crisis-report clean lock messages

# Exactly the locked versions, checked against their hashes (requirements-dev.lock: the
# image's requirements.lock and the test tools), then the project itself, editable.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## Pin every dependency, with hashes, from pyproject.toml: requirements.lock (what the
## image installs) and requirements-dev.lock (the same pins and the test tools).
## Existing pins are kept; `make lock LOCK_ARGS=--upgrade` moves them all.
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || \
	  ($(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet pip-tools==7.6.2)
	$(LOCK_VENV)/bin/pip-compile $(LOCK_FLAGS) -o requirements.lock pyproject.toml
	$(LOCK_VENV)/bin/pip-compile $(LOCK_FLAGS) --extra test -c requirements.lock \
	  -o requirements-dev.lock pyproject.toml

## Extract the client-facing wording with Babel and merge it into every catalog (.po,
## committed; read at start, no .mo to build). New language: pybabel init (docs/notifications.md).
LOCALE_DIR := services/notifications/wording/locale
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header --sort-output -F babel.cfg \
	  -k _plural:1,2 -o $(LOCALE_DIR)/messages.pot services/notifications
	$(BIN)/pybabel update --no-fuzzy-matching -i $(LOCALE_DIR)/messages.pot \
	  -d $(LOCALE_DIR) -D messages

## Start every process of the three services (embedded default unless configured).
run: $(STAMP)
	$(BIN)/coaching run

## Lint, the import contracts (pyproject.toml), then the whole suite against real RabbitMQ and PostgreSQL where reachable.
test: $(STAMP)
	@./.ci/system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not long" $(PYTEST_ARGS)

## Fast feedback while you work (well under a minute): lint, the import contracts and the
## unit tests (no broker, no database).
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) tests/unit $(PYTEST_ARGS)

## The long runs, kept out of `make test` so it stays under ten minutes: the fault suite's
## quick run (its own 3-node RabbitMQ cluster), every benchmark once at a tiny size, and
## the image test (every pod and compose service run from the package as the image builds
## it). CI runs both targets.
test-long: $(STAMP)
	@./.ci/system-deps
	$(BIN)/python -m pytest -n 2 -m long $(PYTEST_ARGS)

## Benchmarks against real RabbitMQ and PostgreSQL: `make bench` or `make bench BENCH=relay`.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

## The fault suite: its own 3-node RabbitMQ cluster, every process, one fault at a time
## (about 5 minutes; `make chaos CHAOS_ARGS=--quick` for the 2-minute subset CI runs).
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS)

## How the crisis patterns read the labelled corpus (tests/data/crisis): recall, false
## alarms, and every miss and false alarm.
crisis-report: $(STAMP)
	$(BIN)/python -m services.notifications.replies.crisis.report tests/data/crisis

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache
