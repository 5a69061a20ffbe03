#!/usr/bin/env bash
# Runs every queue benchmark of issue 4 in one go and prints the figures (docs/PERFORMANCE.md).
# Usage: bench/run-queue-benchmarks.sh
# Environment: TUNED_CONCURRENCY / TUNED_BATCH (the tuned worker settings, default 64 / 32),
# DRAIN_JOBS (20000), PGBENCH_CLIENTS (10: the worker's pool size).
# Needs the local stack up (bin/stack up); leaves the worker running with its default settings.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"

tuned_concurrency="${TUNED_CONCURRENCY:-64}"
tuned_batch="${TUNED_BATCH:-32}"
n="${DRAIN_JOBS:-20000}"
clients="${PGBENCH_CLIENTS:-10}"
trap 'restart_worker' EXIT

echo "machine: nproc=$(nproc) mem=$(free -g | awk '/^Mem:/{print $2}')GiB $(sql -c 'SHOW server_version' | sed 's/^/postgresql=/' | cut -d' ' -f1) synchronous_commit=$(sql -c 'SHOW synchronous_commit') $(java -version 2>&1 | head -1)"

"$here/pgbench-queue.sh" drain "$n" 32 "$clients"
[[ "$tuned_batch" == 32 ]] || "$here/pgbench-queue.sh" drain "$n" "$tuned_batch" "$clients"
"$here/queue-drain.sh" "$n" 16 32
"$here/queue-drain.sh" "$n" "$tuned_concurrency" "$tuned_batch"
"$here/pgbench-queue.sh" full "$n" "$tuned_batch" "$clients"
restart_worker WORKER_CONCURRENCY="$tuned_concurrency" WORKER_BATCH_SIZE="$tuned_batch"
"$here/submit-load.sh" 20 16 500 1
"$here/submit-load.sh" 20 16 500 20
"$here/e2e-latency.sh" 100 30
