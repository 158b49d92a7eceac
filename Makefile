# Two commands do everything on a fresh machine (see README):
#   make demo   set up, then check and translate the bundled examples
#   make test   set up, then run every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
STAMP := $(VENV)/.mlsense-installed
VSIX := mlsense-0.1.0.vsix
# The .vsix users install: the server and its dependencies bundled (Linux x86_64 here; other
# machines get only the universal $(VSIX), which runs the mlsense of the chosen interpreter).
PLATFORM_VSIX := $(if $(filter x86_64,$(shell uname -m)),mlsense-linux-x64-0.1.0.vsix)
SERVER_SOURCES := $(shell find analyzers server translators -name '*.py' -o -name '*.json') __init__.py __main__.py

.PHONY: setup demo test test-python test-workbench lint extension bench bench-translate clean

setup: $(STAMP) $(VSIX) $(PLATFORM_VSIX)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip setuptools wheel
	$(PIP) -e '.[verify,dev]'
	touch $(STAMP)

$(VSIX): $(STAMP) package.json $(wildcard extension/src/*.ts)
	bash extension/build.sh

mlsense-linux-x64-0.1.0.vsix: $(STAMP) package.json pyproject.toml $(wildcard extension/src/*.ts) $(SERVER_SOURCES)
	bash extension/build.sh --target linux-x64

demo: setup
	$(VENV)/bin/mlsense check examples/ --exit-zero
	$(VENV)/bin/mlsense translate examples/torch_regression.py --to keras --verify
	$(VENV)/bin/mlsense translate examples/keras_regression.py --to pytorch --verify

# mypy sees the package through a link named `mlsense` (the repository root is the package).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	mkdir -p build/mypy && ln -sfn "$(CURDIR)" build/mypy/mlsense
	cd build/mypy && "$(CURDIR)/$(VENV)/bin/mypy" --config-file "$(CURDIR)/pyproject.toml" \
		-p mlsense.analyzers -p mlsense.server -p mlsense.translators

test-python: $(STAMP)
	$(VENV)/bin/python -m pytest -q -n 2 --dist loadgroup

# The real VS Code workbench (code-server + chromium; installed once into .cache/workbench).
test-workbench: setup
	bash tests/e2e/workbench/run.sh

test: setup lint test-python
	bash extension/test.sh
	bash tests/e2e/workbench/run.sh

bench: $(STAMP)
	bash bench/setup_anchors.sh
	$(PY) bench/engine_bench.py

bench-translate: $(STAMP)
	$(PY) bench/translate_bench.py --out bench/results/translate.txt

clean:
	rm -rf $(VENV) node_modules extension/out $(VSIX) $(PLATFORM_VSIX) .cache/workbench build/workbench
