#!/usr/bin/env bash
# Drain rate: N pre-queued zero-latency jobs, worker started with the given settings,
# jobs/s from first claim to last capture.
# Usage: bench/queue-drain.sh [N] [WORKER_CONCURRENCY] [WORKER_BATCH_SIZE]
# Prints one line: drain n=… concurrency=… batch=… observed_jobs_per_s=… ledger_jobs_per_s=… …
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

n="${1:-20000}"
concurrency="${2:-16}"
batch="${3:-32}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

log "drain: stopping the worker, pre-queueing $n jobs"
restart_worker MVP_WORKER_ENABLED=false
read -r user_id _token < <(bench_user "$(( n + 10 ))")
prequeue "$user_id" "$n"
sql -c "VACUUM ANALYZE jobs.jobs" >/dev/null

# An observer session notes when the first job leaves 'queued' and when none is left open. It
# polls with short single statements: a long DO loop would hold back the xmin horizon, so dead
# index entries could not be pruned and every claim and complete would slow down.
observe() {
  local first="" row
  coproc OBS { sql; }
  while :; do
    echo "SELECT extract(epoch FROM clock_timestamp()), EXISTS (SELECT 1 FROM jobs.jobs WHERE user_id = '$user_id' AND status IN ('running', 'succeeded')), NOT EXISTS (SELECT 1 FROM jobs.jobs WHERE user_id = '$user_id' AND status IN ('queued', 'running'));" >&"${OBS[1]}"
    IFS='|' read -r -a row <&"${OBS[0]}"
    if [[ -z "$first" && "${row[1]}" == t ]]; then first="${row[0]}"; fi
    if [[ "${row[2]}" == t ]]; then break; fi
    if [[ -z "$first" ]]; then sleep 0.005; else sleep 0.05; fi
  done
  printf '%s\n%s\n' "$first" "${row[0]}"
  echo '\q' >&"${OBS[1]}"
  wait "$OBS_PID" || true
}
observe > "$tmp/observed" &
observer=$!

log "drain: starting the worker with WORKER_CONCURRENCY=$concurrency WORKER_BATCH_SIZE=$batch"
db_counters "$tmp/db0"
restart_worker WORKER_CONCURRENCY="$concurrency" WORKER_BATCH_SIZE="$batch"
cpu_snapshot "$tmp/cpu0"   # from the worker's readiness (its JVM start-up is not counted)
wait "$observer"
cpu_snapshot "$tmp/cpu1"
db_counters "$tmp/db1"

{ read -r first_claim; read -r all_done; } < "$tmp/observed"
read -r cap_first cap_last jobs_last < <(sql -F ' ' -c "
  SELECT extract(epoch FROM min(l.created_at)), extract(epoch FROM max(l.created_at)),
         (SELECT extract(epoch FROM max(updated_at)) FROM jobs.jobs WHERE user_id = '$user_id')
    FROM billing.credit_ledger l WHERE l.user_id = '$user_id' AND l.kind = 'capture'")
check="$(verify_user "$user_id" "$n")"
python3 - "$n" "$concurrency" "$batch" "$first_claim" "$all_done" "$cap_first" "$cap_last" "$jobs_last" <<'PY'
import sys
n, c, b = sys.argv[1:4]
first, done, cf, cl, jl = map(float, sys.argv[4:9])
n = int(n)
print(f"drain n={n} concurrency={c} batch={b} "
      f"observed_s={done-first:.2f} observed_jobs_per_s={n/(done-first):.0f} "
      f"ledger_s={cl-cf:.2f} ledger_jobs_per_s={(n-1)/(cl-cf):.0f} "
      f"first_claim_to_last_complete_s={jl-first:.2f} rate={n/(jl-first):.0f}")
PY
echo "drain $(cpu_report "$tmp/cpu0" "$tmp/cpu1")"
echo "drain $(db_report "$tmp/db0" "$tmp/db1" "$n") (observer included)"
echo "drain check: $check"
