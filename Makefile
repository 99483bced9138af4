# Two commands for a newcomer: `make run` and `make test` (see README.md).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: install install-test translations messages run test bench sbom clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(MAKE) translations

install-test: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	$(MAKE) translations

TRANSLATIONS ?= workshop/translations
POT ?= build/messages.pot

translations:
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics 2>&1 | tail -1

# Extract every UI string (Python, Jinja and the browser code, see babel.cfg) and merge it into the
# catalogue: new msgids arrive with an empty msgstr, ones no code uses any more are marked obsolete.
# Then fill in the Dutch and run `make translations` (README, "Translations").
messages:
	@mkdir -p $(dir $(POT))
	$(BIN)/pybabel -q extract -F babel.cfg -o $(POT) .
	$(BIN)/pybabel -q update -i $(POT) -d $(TRANSLATIONS) --no-fuzzy-matching

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
	$(BIN)/python bench/snapshot_bench.py
	$(BIN)/python bench/export_bench.py
	node bench/store_bench.mjs

# A CycloneDX SBOM (sbom.cdx.json) of what a production install holds: the wheel installed into a
# fresh virtualenv; the generator (cyclonedx-bom) runs from a virtualenv of its own so it does not
# list itself.
SBOM_DIR := build/sbom
sbom:
	rm -rf $(SBOM_DIR) && $(PY) -m venv $(SBOM_DIR)/app && $(PY) -m venv $(SBOM_DIR)/tool
	$(SBOM_DIR)/tool/bin/pip install -q "cyclonedx-bom>=7"
	$(SBOM_DIR)/tool/bin/pip wheel -q --no-deps -w $(SBOM_DIR) .
	$(SBOM_DIR)/app/bin/pip install -q $(SBOM_DIR)/workshop-*.whl
	$(SBOM_DIR)/tool/bin/cyclonedx-py environment --pyproject pyproject.toml --mc-type application \
		--of JSON --output-reproducible -o sbom.cdx.json $(SBOM_DIR)/app/bin/python
	@echo "sbom.cdx.json: $$($(SBOM_DIR)/tool/bin/python -c 'import json; print(len(json.load(open("sbom.cdx.json"))["components"]))') components"

clean:
	rm -rf $(VENV) build dist *.egg-info
