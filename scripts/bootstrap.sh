#!/usr/bin/env bash
# Install what a fresh machine lacks and make sure RabbitMQ and PostgreSQL answer.
# Idempotent and quick when everything is already there. Used by `make run` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="chromium libzbar0 poppler-utils fonts-dejavu-core rabbitmq-server postgresql python3-venv"
AMQP_PORT=5672
PG_PORT=5432

say() { printf '\033[1mbootstrap:\033[0m %s\n' "$*" >&2; }

missing=()
for pkg in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing system packages: ${missing[*]}"
    say "run: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 120); do answers "$1" && return 0; sleep 0.5; done
  say "$2 did not start listening on port $1"; return 1
}

if ! answers $PG_PORT; then
  say "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || service postgresql start
  else
    service postgresql start
  fi
  wait_port $PG_PORT PostgreSQL
fi
if ! answers $AMQP_PORT; then
  say "starting RabbitMQ"
  rabbitmq-server -detached || service rabbitmq-server start
  wait_port $AMQP_PORT RabbitMQ
  # The port opens before the broker accepts logins; give it a moment to finish booting.
  for _ in $(seq 1 60); do rabbitmqctl -q await_startup >/dev/null 2>&1 && break; sleep 1; done
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
stamp=.venv/.installed
if [ ! -x .venv/bin/python ] || [ ! -f $stamp ] || [ requirements.lock -nt $stamp ] || [ pyproject.toml -nt $stamp ]; then
  say "installing Python packages into .venv"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -r requirements.lock
  .venv/bin/python -m pip install -q --no-deps -e . >/dev/null 2>&1
  touch $stamp
fi
