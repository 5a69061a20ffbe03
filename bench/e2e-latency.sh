#!/usr/bin/env bash
# End-to-end latency: zero-latency jobs submitted through the gateway at a steady rate
# (open loop, bench/LoadClient.java), then from the database: created_at -> succeeded
# (jobs.jobs.updated_at, written by jobs.complete) and the client's 2xx -> succeeded.
#   steady: RATE/s (default 100) for SECONDS (default 30), with the worker as it runs.
#   idle pickup: 5 jobs/s for 20 s, each job alone on an idle worker; a zero-latency job's
#   2xx -> succeeded bounds 2xx -> running from above (the running time itself is overwritten
#   by the completion).
# Usage: bench/e2e-latency.sh [RATE] [SECONDS]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

rate="${1:-100}"
seconds="${2:-30}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

read -r _user_id token < <(bench_user 100000)

vacuum_stack_tables
log "e2e: $rate jobs/s for ${seconds}s"
cpu_snapshot "$tmp/cpu0"
load_client "$token" "$rate" "$seconds" "$tmp/steady" | sed "s/^/e2e submit /"
cpu_snapshot "$tmp/cpu1"
job_latency_stats "$tmp/steady" "e2e rate=$rate/s"
echo "e2e $(cpu_report "$tmp/cpu0" "$tmp/cpu1")"

sleep 2
vacuum_stack_tables
log "e2e: idle pickup, 5 jobs/s for 20 s"
load_client "$token" 5 20 "$tmp/idle" | sed "s/^/pickup submit /"
job_latency_stats "$tmp/idle" "pickup idle"
