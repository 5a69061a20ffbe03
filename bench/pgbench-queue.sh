#!/usr/bin/env bash
# The physical limit beside the drain: the worker's SQL run by pgbench straight on PostgreSQL.
# Usage: bench/pgbench-queue.sh drain|full [N] [BATCH] [CLIENTS]
#   drain: pre-queue N jobs (as queue-drain.sh does), then claim + complete them with
#          pgbench-drain.sql; jobs/s from the first to the last capture (as queue-drain.sh).
#   full:  insert + hold, claim and complete N jobs with pgbench-queue.sql.
# The worker is stopped while pgbench runs (claims take any queued job) and restarted after
# with the environment bin/stack would give it (set WORKER_* to choose its settings).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

mode="${1:-drain}"
n="${2:-20000}"
batch="${3:-32}"
clients="${4:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"; restart_worker' EXIT

restart_worker MVP_WORKER_ENABLED=false
read -r user_id _token < <(bench_user "$(( n + batch * clients + 10 ))")
transactions=$(( (n + batch * clients - 1) / (batch * clients) ))
case "$mode" in
  drain)
    log "pgbench drain: pre-queueing $n jobs"
    prequeue "$user_id" "$n"
    sql -c "VACUUM ANALYZE jobs.jobs" >/dev/null
    script="$here/pgbench-drain.sql" ;;
  full) script="$here/pgbench-queue.sql" ;;
  *) echo "usage: $0 drain|full [N] [BATCH] [CLIENTS]" >&2; exit 2 ;;
esac

log "pgbench $mode: $clients clients x $transactions batches of $batch"
db_counters "$tmp/db0"
cpu_snapshot "$tmp/cpu0"
pgbench -n -U "${PGSUPERUSER:-postgres}" -c "$clients" -j "$(nproc)" -t "$transactions" \
  -D batch="$batch" -D user="$user_id" -f "$script" > "$tmp/pgbench.out" 2>&1 || { cat "$tmp/pgbench.out" >&2; exit 1; }
cpu_snapshot "$tmp/cpu1"
db_counters "$tmp/db1"

read -r jobs_done cap_s < <(sql -F ' ' -c "
  SELECT count(*), extract(epoch FROM max(created_at) - min(created_at))
    FROM billing.credit_ledger WHERE user_id = '$user_id' AND kind = 'capture'")
pg_time="$(sed -n 's/^latency average = \(.*\) ms$/\1/p' "$tmp/pgbench.out")"
python3 - "$mode" "$jobs_done" "$cap_s" "$batch" "$clients" "$pg_time" <<'PY'
import sys
mode, done, secs, batch, clients, lat = sys.argv[1:7]
done, secs = int(done), float(secs)
print(f"pgbench {mode} batch={batch} clients={clients} jobs={done} ledger_s={secs:.2f} "
      f"ledger_jobs_per_s={(done-1)/secs:.0f} batch_latency_avg_ms={lat}")
PY
echo "pgbench $mode $(cpu_report "$tmp/cpu0" "$tmp/cpu1")"
echo "pgbench $mode $(db_report "$tmp/db0" "$tmp/db1" "$jobs_done")"
echo "pgbench $mode check: $(verify_user "$user_id" "$jobs_done")"
