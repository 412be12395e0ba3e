#!/usr/bin/env bash
# A small cluster on this machine (issue 15, docs/deploy.md): two app processes under gunicorn,
# a timer scheduler and a job worker, all against one PostgreSQL (RELIEF_DATABASE_URL) and the
# environment given (RELIEF_SECRET_KEY, RELIEF_DATA_KEY, ... as in production).
#   RELIEF_DATABASE_URL=postgresql://... deploy/local_cluster.sh [PORT]
# RELIEF_CLUSTER_WORKERS=N starts N job workers instead of one, each running RELIEF_WORKER_CONCURRENCY
# jobs at once (1); tests/reliability/test_cluster.py runs two of four.
# Stops everything when any part exits, or on Ctrl-C / SIGTERM.
set -euo pipefail
port="${1:-8000}"
relief="${RELIEF_BIN:-.venv/bin/relief}"  # a command line: RELIEF_BIN="python -m api.cli" works too
: "${RELIEF_DATABASE_URL:?RELIEF_DATABASE_URL must name the shared PostgreSQL database}"

$relief db upgrade
# The worker's credential: valid only on the job endpoints, one per cluster start.
token="$($relief worker-token create "local-cluster-$(hostname)-$$" | tail -n 1)"

pids=()
$relief serve --processes 2 --host 127.0.0.1 --port "$port" & pids+=($!)
$relief scheduler & pids+=($!)
for _ in $(seq "${RELIEF_CLUSTER_WORKERS:-1}"); do
  RELIEF_WORKER_TOKEN="$token" $relief worker --url "http://127.0.0.1:$port" --wait-seconds 2 \
    --concurrency "${RELIEF_WORKER_CONCURRENCY:-1}" & pids+=($!)
done

stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM
wait -n "${pids[@]}"
