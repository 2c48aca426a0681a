# Two commands: `make run` and `make test`. Each installs what is missing first.
.PHONY: run test bootstrap migrate status bench chaos lint lint-only unit clean

VENV := .venv/bin

bootstrap:
	@bash scripts/bootstrap.sh

run: bootstrap
	@$(VENV)/kiosk run

test: bootstrap lint-only
	@$(VENV)/python -m pytest

unit: bootstrap
	@$(VENV)/python -m pytest tests/unit

migrate: bootstrap
	@$(VENV)/kiosk migrate

status:
	@$(VENV)/kiosk status

bench: bootstrap
	@$(VENV)/python -m kiosk.bench $(BENCH_ARGS)

chaos: bootstrap
	@$(VENV)/python -m pytest tests/e2e -m e2e -k kill

lint: bootstrap lint-only

lint-only:
	@$(VENV)/ruff check -q shared services simulators kiosk tests
	@$(VENV)/mypy

clean:
	rm -rf var .pytest_cache
