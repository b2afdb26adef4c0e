# Two commands matter (see README):
#   make run    set up .venv from scratch and process the sample corpus into out/
#   make test   set up .venv if needed and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test setup bench lint format clean

$(BIN)/esf-pipeline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,cluster]"
	@touch $@

setup: $(BIN)/esf-pipeline

run: setup
	$(BIN)/esf-pipeline process corpus --out out --jobs 2
	@echo "records: out/records.jsonl  errors: out/errors.jsonl  store: out/store.sqlite  index: out/index/"

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python scripts/bench.py

# Lint and format check (ruff, configured in pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf out .pytest_cache
