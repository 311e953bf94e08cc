#!/usr/bin/env bash
# Start N daphne nodes, a Celery worker and a Celery beat on this machine, on PostgreSQL and Redis.
#
#   deploy/run.sh [N]            N nodes (default 2) on ports $CSMS_BASE_PORT.. (default 8001..)
#
# Environment: DATABASE_URL and REDIS_URL (defaults: this machine's PostgreSQL database `csms`
# and Redis database 0), SECRET_KEY (generated into var/secret_key once if unset), ALLOWED_HOSTS,
# CSMS_BIND (default 127.0.0.1), CSMS_BASE_PORT, CSMS_DB_WORKERS (default 1 with several nodes).
# Put a load balancer in front of the ports (README: "Several nodes behind a load balancer"); any
# node can hold any charger.
set -euo pipefail

N="${1:-${N:-2}}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
export PATH="$(dirname "$PY"):$PATH"

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/csms}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export CSMS_BIND="${CSMS_BIND:-127.0.0.1}"
export CSMS_BASE_PORT="${CSMS_BASE_PORT:-8001}"
# Nodes sharing this machine's cores: one frame worker each (README: CSMS_DB_WORKERS).
if [ "$N" -gt 1 ]; then export CSMS_DB_WORKERS="${CSMS_DB_WORKERS:-1}"; fi
mkdir -p var
export CSMS_BEAT_SCHEDULE="${CSMS_BEAT_SCHEDULE:-$ROOT/var/celerybeat-schedule}"
# Every node must share one SECRET_KEY (sessions and signed values cross nodes).
if [ -z "${SECRET_KEY:-}" ]; then
    [ -s var/secret_key ] || "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
    SECRET_KEY="$(cat var/secret_key)"
    export SECRET_KEY
fi

case "$DATABASE_URL" in postgres*) ;; *) echo "deploy/run.sh: DATABASE_URL must be PostgreSQL (nodes share it)" >&2; exit 2;; esac
case "$REDIS_URL" in redis*) ;; *) echo "deploy/run.sh: REDIS_URL must be Redis (commands cross nodes over it)" >&2; exit 2;; esac

"$PY" manage.py migrate --noinput
echo "deploy/run.sh: $N nodes on $CSMS_BIND:$CSMS_BASE_PORT-$((CSMS_BASE_PORT + N - 1)), a Celery worker and beat"
exec "$PY" -m honcho start -f deploy/Procfile.multi -d "$ROOT" -p "$CSMS_BASE_PORT" -c "web=$N,worker=1,beat=1"
