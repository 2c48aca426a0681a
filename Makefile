# Two commands: `make run` and `make test`. Each installs what is missing first.
.PHONY: run test bootstrap migrate status bench chaos lint unit clean

VENV := .venv/bin

bootstrap:
	@bash scripts/bootstrap.sh

run: bootstrap
	@$(VENV)/kiosk run

test: bootstrap
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

lint: bootstrap
	@$(VENV)/ruff check shared services simulators kiosk tests

clean:
	rm -rf var .pytest_cache
