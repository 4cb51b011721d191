# The README's two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/publicpay: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install run test bench
install: $(BIN)/publicpay

run: install
	$(BIN)/publicpay serve

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m benchmarks.ledger --quick
