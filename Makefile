# Two commands a newcomer needs: `make run` and `make test`. Everything else is for
# day-to-day work. Variables in an optional .env file are exported to every command.
ifneq (,$(wildcard .env))
include .env
export
endif

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test fuzz lint format worker beat messages migrate seed clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

migrate: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo $(if $(DEMO_PASSWORD),--password "$(DEMO_PASSWORD)")

run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	mkdir -p var
	$(BIN)/pytest $(PYTEST_ARGS)

# Contract fuzzing against a live server; needs PostgreSQL (DATABASE_URL).
fuzz: install
	bash .ci/fuzz

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	mkdir -p var
	$(BIN)/celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule

# Needs GNU gettext; the compiled .mo files are committed so running the service does not.
messages: install
	cd $(CURDIR) && $(BIN)/python manage.py makemessages --locale id --ignore ".venv/*" --ignore "var/*" --no-obsolete
	$(BIN)/python manage.py compilemessages --locale id --ignore ".venv/*"

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
