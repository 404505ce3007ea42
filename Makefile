# Conveniences around the README's two commands (which need nothing but Python and pip).
PY ?= python3
BIN := .venv/bin

.PHONY: run test bench crash-trials clean

$(BIN)/newsfold: pyproject.toml
	$(PY) -m venv .venv
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/newsfold

run: $(BIN)/newsfold
	$(BIN)/newsfold ingest examples --db examples.db
	$(BIN)/newsfold stories --db examples.db

test: $(BIN)/newsfold
	$(BIN)/python -m pytest -q

# side-by-side benchmark (builds corpora from ../shared/corpus, peers in benchmarks/.venv-peers)
bench: $(BIN)/newsfold
	$(PY) benchmarks/run.py --sizes 20000 100000 1000000

# 20 seeded SIGKILL trials on the whole devset; each rerun's export must equal a clean run's
crash-trials: $(BIN)/newsfold
	$(BIN)/python tests/crash_harness.py --trials 20 --seed 1 --captures ../shared/devset/captures

clean:
	rm -rf .venv examples.db* .pytest_cache
