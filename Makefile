# lunora-workflow: `make demo` runs codegen on the example app; `make test` passes the suite.
# Everything the tests need is installed from here, on a machine with only Python 3.11, pip,
# Node 20, npm and apt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/chat-app

.PHONY: demo test setup setup-test-deps lint typecheck pytest bench clean

$(BIN)/lunora: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/lunora

# What the test suite needs beyond the venv, each step idempotent and cached in .cache/:
# real Pyodide 0.28.2 + Cloudflare's workers-runtime-sdk wheel (conformance harness),
# jsonc-parser (the JSONC parser wrangler uses), Debian's chromium (Studio end-to-end tests).
setup-test-deps: setup
	sh tests/pyodide/setup.sh
	sh tests/wrangler/setup_node.sh
	sh tests/studio/setup_browser.sh

demo: setup
	$(BIN)/lunora codegen --project $(EXAMPLE)
	@echo
	@echo "== generated files =="
	@find $(EXAMPLE)/src/lunora/_generated -name '*.py' | sort
	@echo
	@sed -n '1,60p' $(EXAMPLE)/src/lunora/_generated/workflows.py
	@echo
	@echo "== run the welcome workflow on the local engine (virtual clock) =="
	$(BIN)/lunora run channel_welcome --project $(EXAMPLE) --id welcome-c1 --params '{"channel_id": "c1", "user_name": "Ada"}'

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check lunora_workflow lunora_codegen

# mypy --strict on the packages, on the example Worker with its generated code (from the
# Worker's module root), and on the tests and benchmarks (they are how users learn the API);
# MYPYPATH holds the modules the test harnesses put on sys.path at run time.
typecheck: setup
	$(BIN)/mypy
	cd $(EXAMPLE)/src && $(abspath $(BIN))/mypy --strict --config-file $(abspath pyproject.toml) entry.py lunora
	MYPYPATH=fixtures/functions/app:tests/pyodide:tests/pyodide/fixtures \
		$(BIN)/mypy --strict --explicit-package-bases tests benchmarks

pytest: setup-test-deps
	$(BIN)/pytest

test: lint typecheck pytest

bench: setup
	$(BIN)/python benchmarks/codegen.py

clean:
	rm -rf $(VENV) .cache dist build
