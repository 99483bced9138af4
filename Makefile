# Two commands for a newcomer: `make run` and `make test` (see README.md).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: install install-test translations run test bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(MAKE) translations

install-test: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	$(MAKE) translations

translations:
	$(BIN)/pybabel compile -d workshop/translations --statistics 2>&1 | tail -1

# Install, migrate, seed and serve on http://127.0.0.1:5000 with SQLite.
run: install
	$(BIN)/workshop db upgrade
	$(BIN)/workshop seed
	$(BIN)/workshop serve --port $(PORT)

# Install everything and run the whole test suite: pytest, then the browser store's unit tests
# (Node's built-in runner; no npm packages).
test: install-test
	$(BIN)/python -m pytest -q
	node --test tests/js/

bench: install-test
	$(BIN)/python bench/ops_bench.py
	$(BIN)/python bench/live_bench.py
	$(BIN)/python bench/live_bench.py --rate 10
	$(BIN)/python bench/export_bench.py
	node bench/store_bench.mjs

clean:
	rm -rf $(VENV) build *.egg-info
