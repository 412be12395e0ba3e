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
FORMJS := node_modules/@bpmn-io/form-js/dist
DMNJS := node_modules/dmn-js/dist
ECHARTS := node_modules/echarts/dist
# The web app's English catalog, compiled from its .po (the .mo is built, never committed).
CATALOG := web/translations/en/LC_MESSAGES/messages
POT := web/translations/messages.pot

.PHONY: run test lint bench clean reliability translations

# Front-end assets come from npm (package-lock.json) and are served by the app itself.
# bpmn-js is the modeler designers edit our diagrams in (tests/ui draws every diagram with
# it); its CSS loads the bpmn-font from the assets folder beside it, so that goes whole.
# The staff pages use the bpmn-js navigated viewer (read-only diagrams) and the form-js
# viewer with its CSS (forms rendered from forms/). The designer edits routing tables in the
# dmn-js modeler (its CSS loads the dmn-font beside it) and forms in the form-js editor and
# playground (issue 13). axe-core (a dev dependency) is read
# by the browser tests straight from node_modules, never served.
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p api/static/vendor/swagger-ui
	cp $(SWAGGER)/swagger-ui.css $(SWAGGER)/swagger-ui-bundle.js \
		$(SWAGGER)/swagger-ui-standalone-preset.js api/static/vendor/swagger-ui/
	mkdir -p api/static/vendor/bpmn-js
	cp $(BPMNJS)/bpmn-modeler.production.min.js $(BPMNJS)/bpmn-navigated-viewer.production.min.js \
		api/static/vendor/bpmn-js/
	cp -R $(BPMNJS)/assets api/static/vendor/bpmn-js/
	mkdir -p api/static/vendor/form-js
	cp $(FORMJS)/form-viewer.umd.js $(FORMJS)/assets/form-js.css api/static/vendor/form-js/
	cp $(FORMJS)/form-editor.umd.js $(FORMJS)/form-playground.umd.js $(FORMJS)/assets/form-js-editor.css \
		$(FORMJS)/assets/form-js-playground.css api/static/vendor/form-js/
	mkdir -p api/static/vendor/dmn-js
	cp $(DMNJS)/dmn-modeler.production.min.js $(DMNJS)/dmn-navigated-viewer.production.min.js api/static/vendor/dmn-js/
	cp -R $(DMNJS)/assets api/static/vendor/dmn-js/
	mkdir -p api/static/vendor/echarts
	cp $(ECHARTS)/echarts.min.js api/static/vendor/echarts/
	touch $(ASSETS)

$(CATALOG).mo: $(CATALOG).po $(STAMP)
	$(BIN)/pybabel compile --statistics -d web/translations

# After changing texts of pages: extract them again and merge them into the catalogs, then
# translate the new entries of $(CATALOG).po (tests/web/test_i18n.py finds any left out).
translations: $(STAMP)
	$(BIN)/pybabel extract -F web/babel.cfg -k _l --no-location --sort-output -o $(POT) web
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(POT) -d web/translations
	$(BIN)/pybabel compile --statistics -d web/translations

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) $(ASSETS) $(CATALOG).mo
	$(BIN)/relief demo

# PostgreSQL is tested whenever one is reachable; RELIEF_TEST_POSTGRES_URL overrides.
test: $(STAMP) $(ASSETS) $(CATALOG).mo
	$(BIN)/ruff check engine api web workers tests bench
	RELIEF_TEST_POSTGRES_URL="$${RELIEF_TEST_POSTGRES_URL:-$$($(BIN)/python -m engine.store.probe $(PG_DEFAULT))}" \
		$(BIN)/python -m pytest -q --ignore=tests/reliability $(PYTEST_ARGS)
	$(MAKE) --no-print-directory reliability

# Crash, race, fuzz, hostile-deployment and authorization suites with their figures (issue 9);
# part of `make test`, bounded to a few minutes; LONG=1 for the long mode.
reliability: $(STAMP) $(ASSETS) $(CATALOG).mo
	RELIEF_TEST_POSTGRES_URL="$${RELIEF_TEST_POSTGRES_URL:-$$($(BIN)/python -m engine.store.probe $(PG_DEFAULT))}" \
		RELIEF_RELIABILITY_LONG="$(LONG)" $(BIN)/python -m pytest -q tests/reliability $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check engine api web workers tests bench

bench: $(STAMP)
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) var node_modules api/static/vendor test-artifacts $(CATALOG).mo
