# The README's two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/publicpay: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install run demo test bench chromium
install: $(BIN)/publicpay

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

run: install
	$(BIN)/publicpay serve

# A day at the portal: citizens pay through every provider, then the nightly reconciliation.
demo: install
	$(BIN)/publicpay demo

test: install chromium
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m benchmarks.ledger --quick
