# Two commands for a newcomer: `make run` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# The suite waits on brokers, databases and processes more than on the CPU: three
# workers fit two cores.
PYTEST_WORKERS ?= 3

.PHONY: run test test-long lint format bench chaos crisis-report clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

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

## The long runs, kept out of `make test` so it stays under ten minutes: the fault suite's
## quick run (its own 3-node RabbitMQ cluster) and every benchmark once at a tiny size.
## CI runs both targets.
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
	$(BIN)/python -m services.notifications.crisis.report tests/data/crisis

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache
