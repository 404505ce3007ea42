# Each target makes its own .venv and installs what it needs (Python 3.11+ and pip only).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench crash-trials clean

$(BIN)/newsfold: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(BIN)/newsfold

run: $(BIN)/newsfold
	rm -f examples.db examples.db-wal examples.db-shm
	$(BIN)/newsfold ingest examples --db examples.db
	$(BIN)/newsfold stories --db examples.db

test: $(BIN)/newsfold
	$(BIN)/python -m pytest -q

bench: $(BIN)/newsfold
	$(BIN)/python benchmarks/run.py --sizes 20000 100000 1000000

clean:
	rm -rf $(VENV) examples.db* .pytest_cache
