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

.PHONY: setup demo test test-python lint extension bench bench-translate clean

setup: $(STAMP) $(VSIX)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip setuptools wheel
	$(PIP) -e '.[verify,dev]'
	touch $(STAMP)

$(VSIX): package.json $(wildcard extension/src/*.ts)
	@if [ -f extension/build.sh ]; then bash extension/build.sh; else echo "extension: not built yet"; fi

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

test: setup lint test-python
	@if [ -f extension/test.sh ]; then bash extension/test.sh; fi

bench: $(STAMP)
	bash bench/setup_anchors.sh
	$(PY) bench/engine_bench.py

bench-translate: $(STAMP)
	$(PY) bench/translate_bench.py --out bench/results/translate.txt

clean:
	rm -rf $(VENV) node_modules extension/out $(VSIX)
