# The two commands of the README: `make run` and `make test`. Both set up everything
# they need on a fresh machine (virtualenv and pinned packages).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_DEFAULT := postgresql://postgres@127.0.0.1:5432/test

ASSETS := api/static/vendor/.copied
SWAGGER := node_modules/swagger-ui-dist
BPMNJS := node_modules/bpmn-js/dist

.PHONY: run test lint bench clean reliability

# Front-end assets come from npm (package-lock.json) and are served by the app itself.
# bpmn-js is the modeler designers edit our diagrams in (tests/ui draws every diagram with
# it); its CSS loads the bpmn-font from the assets folder beside it, so that goes whole.
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p api/static/vendor/swagger-ui
	cp $(SWAGGER)/swagger-ui.css $(SWAGGER)/swagger-ui-bundle.js \
		$(SWAGGER)/swagger-ui-standalone-preset.js api/static/vendor/swagger-ui/
	mkdir -p api/static/vendor/bpmn-js
	cp $(BPMNJS)/bpmn-modeler.production.min.js api/static/vendor/bpmn-js/
	cp -R $(BPMNJS)/assets api/static/vendor/bpmn-js/
	touch $(ASSETS)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) $(ASSETS)
	$(BIN)/relief demo

# PostgreSQL is tested whenever one is reachable; RELIEF_TEST_POSTGRES_URL overrides.
test: $(STAMP) $(ASSETS)
	$(BIN)/ruff check engine api workers tests bench
	RELIEF_TEST_POSTGRES_URL="$${RELIEF_TEST_POSTGRES_URL:-$$($(BIN)/python -m engine.store.probe $(PG_DEFAULT))}" \
		$(BIN)/python -m pytest -q --ignore=tests/reliability $(PYTEST_ARGS)
	$(MAKE) --no-print-directory reliability

# Crash, race, fuzz, hostile-deployment and authorization suites with their figures (issue 9);
# part of `make test`, bounded to a few minutes; LONG=1 for the long mode.
reliability: $(STAMP) $(ASSETS)
	RELIEF_TEST_POSTGRES_URL="$${RELIEF_TEST_POSTGRES_URL:-$$($(BIN)/python -m engine.store.probe $(PG_DEFAULT))}" \
		RELIEF_RELIABILITY_LONG="$(LONG)" $(BIN)/python -m pytest -q tests/reliability $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check engine api workers tests bench

bench: $(STAMP)
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) var node_modules api/static/vendor
