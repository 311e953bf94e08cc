# Quick start: `make run` (install, migrate, serve on http://127.0.0.1:8000) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The deployment pass of `make test`: PostgreSQL and Redis on this machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/csms
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

# The deployment shape on one machine: daphne, a Celery worker and beat (Procfile), on REDIS_URL.
DEPLOY_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: install run run-deployment test test-embedded test-deployment lint bench

install: $(STAMP)

$(STAMP): requirements.txt tests/js/package.json tests/js/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	@# Browser tests drive Debian's Chromium (never a downloaded browser).
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "Chromium is not installed (apt-get install chromium): browser tests will be skipped"
	@# TLS tests (security profiles 2 and 3) start Debian's nginx in front of the server.
	@command -v nginx >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; } \
		|| echo "nginx is not installed (apt-get install nginx-light): TLS tests will be skipped"
	touch $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_operator --host $(HOST) --port $(PORT)
	@echo "Serving admin, API and OCPP WebSocket on http://$(HOST):$(PORT) (chargers: ws://$(HOST):$(PORT)/ocpp/<chargeBoxId>)"
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) csms.asgi:application

run-deployment: install
	REDIS_URL=$${REDIS_URL:-$(DEPLOY_REDIS_URL)} $(PY) manage.py migrate --noinput
	mkdir -p var
	REDIS_URL=$${REDIS_URL:-$(DEPLOY_REDIS_URL)} CSMS_HOST=$(HOST) CSMS_PORT=$(PORT) $(VENV)/bin/honcho start

# The whole suite twice: on the embedded default (SQLite, in-memory channel layer),
# then on PostgreSQL and Redis when they are reachable (required when CSMS_REQUIRE_SERVICES=1).
test: install test-embedded test-deployment

test-embedded: install
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest

test-deployment: install
	@$(PY) -m tests.services postgres && $(PY) -m tests.services redis; status=$$?; \
	if [ $$status -eq 0 ]; then \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest; \
	elif [ $$status -ne 1 ]; then exit $$status; fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
