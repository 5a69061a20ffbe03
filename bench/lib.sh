# shellcheck shell=bash
# Shared helpers of the queue benchmarks; sourced, not run. Expects the local stack (bin/stack up).

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GATEWAY="${GATEWAY:-http://localhost:$((8080 + ${METERED_PORT_OFFSET:-0}))}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
# the stack's database: DATABASE_URL's, as bin/stack up was given it (e.g. a throw-away one)
bench_database="${DATABASE_URL:-metered}"
bench_database="${bench_database%%\?*}"
PGDATABASE="${PGDATABASE:-${bench_database##*/}}"
export PGHOST PGPORT PGDATABASE

db_password() {
  sed -n 's/^METERED_DB_PASSWORD=//p' "$BENCH_ROOT/.run/secrets.env" | tr -d "'\""
}

# psql as the superuser (trust auth locally): quiet, unaligned, stop on error.
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -U "${PGSUPERUSER:-postgres}" "$@"; }

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# The drains leave hundreds of thousands of dead rows, and autovacuum may be off (it is on the CI
# machines): a measurement after them would time the bloat. Vacuums what every request touches.
vacuum_stack_tables() {
  sql -c "VACUUM ANALYZE jobs.jobs, billing.accounts, billing.credit_ledger, auth.login_throttle" >/dev/null
}

# Registers a fresh user through the gateway, gives it credits; prints "<user_id> <access_token>".
bench_user() {
  local credits="$1" tag email password user_id token
  tag="$(date +%s%N)-$RANDOM"
  email="bench-${tag}@bench.invalid"
  password="bench-password-${tag}"
  user_id="$(curl -fsS -X POST "$GATEWAY/api/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user_id"])')"
  token="$(curl -fsS -X POST "$GATEWAY/api/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  sql -c "SELECT applied FROM billing.topup('$user_id', $credits, 'evt_bench_$tag', 'bench')" >/dev/null
  printf '%s %s\n' "$user_id" "$token"
}

# Pre-queues n zero-latency echo jobs for a user with the SQL jobs-service runs (job + hold per job),
# in statements of 1000 jobs, as metered_jobs.
prequeue() {
  local user_id="$1" n="$2" done_n=0 chunk
  while (( done_n < n )); do
    chunk=$(( n - done_n < 1000 ? n - done_n : 1000 ))
    sql <<SQL >/dev/null
SET ROLE metered_jobs;
WITH j AS (
  INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key)
  SELECT id, '$user_id', 'echo', '{"simulate":{"latency_ms":0}}', 1, 5, 'bench-' || id, 'bench', 'job:' || id || ':hold'
    FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $chunk)) g
  RETURNING id, user_id, hold_key)
SELECT count(h.applied) FROM j, LATERAL billing.hold(j.user_id, 1, j.hold_key, j.id) h;
SQL
    done_n=$(( done_n + chunk ))
  done
}

# Restarts the worker with the given environment (e.g. WORKER_CONCURRENCY=64 WORKER_BATCH_SIZE=64).
restart_worker() {
  env "$@" "$BENCH_ROOT/bin/stack" restart worker >/dev/null
}

# Checks the ledger invariants for one user: no drift, every job succeeded, one capture per job.
verify_user() {
  local user_id="$1" n="$2"
  sql <<SQL
SELECT 'drift_rows=' || (SELECT count(*) FROM billing.ledger_drift)
    || ' succeeded=' || (SELECT count(*) FROM jobs.jobs WHERE user_id = '$user_id' AND status = 'succeeded')
    || '/$n attempts>1=' || (SELECT count(*) FROM jobs.jobs WHERE user_id = '$user_id' AND attempts <> 1)
    || ' captures=' || (SELECT count(*) FROM billing.credit_ledger WHERE user_id = '$user_id' AND kind = 'capture')
    || ' held=' || (SELECT held FROM billing.accounts WHERE user_id = '$user_id');
SQL
}

# CPU accounting: cpu_snapshot FILE records jiffies per component; cpu_report A B prints the
# share of the machine (all cores = 100%) each component used between the two snapshots.
cpu_snapshot() {
  local out="$1" svc pid
  {
    awk '/^cpu /{t=0; for (i=2;i<=NF;i++) t+=$i; print "total", t; print "idle", $5; print "iowait", $6}' /proc/stat
    for pid in $(pgrep -x postgres || true); do
      awk -v p=postgres '{print p, $14+$15}' "/proc/$pid/stat" 2>/dev/null || true
    done
    for pid in $(pgrep -x nginx || true); do
      awk '{print "nginx", $14+$15}' "/proc/$pid/stat" 2>/dev/null || true
    done
    for svc in auth-service billing-service jobs-service worker-service ops-service; do
      pid="$(cat "$BENCH_ROOT/.run/$svc.pid" 2>/dev/null || true)"
      if [[ -n "$pid" ]]; then awk -v s="$svc" '{print s, $14+$15}' "/proc/$pid/stat" 2>/dev/null || true; fi
    done
    for pid in $(pgrep -x wrk || true) $(pgrep -f 'LoadClient' || true); do
      awk '{print "loadgen", $14+$15}' "/proc/$pid/stat" 2>/dev/null || true
    done
  } > "$out"
}

cpu_report() {
  awk 'NR==FNR {a[$1]+=$2; next} {b[$1]+=$2}
       END {t=b["total"]-a["total"]; if (t<=0) t=1;
            printf "cpu%%(of all %d cores):", '"$(nproc)"';
            n=split("postgres worker-service jobs-service auth-service billing-service ops-service nginx", k, " ");
            for (i=1;i<=n;i++) { d=b[k[i]]-a[k[i]]; if (d<0) d=0; printf " %s=%.0f", k[i], 100*d/t }
            i=b["idle"]-a["idle"]; w=b["iowait"]-a["iowait"];
            printf " | machine busy=%.0f iowait=%.0f idle=%.0f\n", 100*(t-i-w)/t, 100*w/t, 100*i/t }' "$1" "$2"
}

# Runs the open-loop client (bench/LoadClient.java): load_client <token> <rate> <seconds> <out file>.
load_client() {
  java "$BENCH_ROOT/bench/LoadClient.java" "$GATEWAY/api/jobs" "$1" "$2" "$3" "$4" "bench-$(date +%s%N)"
}

# Waits until every job listed in <ids file> ("<job id> <epoch of its 2xx>" lines) has ended, then
# prints p50/p99/max of created_at -> succeeded and of 2xx -> succeeded (milliseconds).
job_latency_stats() {
  local ids="$1" label="$2"
  sql <<SQL
CREATE TEMP TABLE bench_ids (id uuid PRIMARY KEY, answered_epoch float8);
\copy bench_ids FROM '$ids' WITH (DELIMITER ' ')
DO \$\$ BEGIN
  FOR i IN 1 .. 600 LOOP
    EXIT WHEN NOT EXISTS (SELECT 1 FROM jobs.jobs j JOIN bench_ids USING (id) WHERE j.status IN ('queued', 'running'));
    PERFORM pg_sleep(0.1);
  END LOOP;
END \$\$;
SELECT format('$label jobs=%s succeeded=%s created->succeeded p50_ms=%s p99_ms=%s max_ms=%s | 2xx->succeeded p50_ms=%s p99_ms=%s max_ms=%s',
       count(*), count(*) FILTER (WHERE status = 'succeeded'),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY e2e)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY e2e)::numeric, 1), round(max(e2e)::numeric, 1),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY after_2xx)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY after_2xx)::numeric, 1), round(max(after_2xx)::numeric, 1))
  FROM (SELECT j.status, 1000 * extract(epoch FROM j.updated_at - j.created_at) AS e2e,
               1000 * (extract(epoch FROM j.updated_at) - b.answered_epoch) AS after_2xx
          FROM jobs.jobs j JOIN bench_ids b USING (id)) t;
SQL
}

# Database counters: db_counters FILE records commits, claims (scans of the queue index) and
# the index entries they read; db_report A B prints the difference per job (N jobs).
db_counters() {
  sql -F ' ' -c "
    SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
           idx_scan, idx_tup_read
      FROM pg_stat_user_indexes WHERE indexrelname = 'jobs_queue_idx'" > "$1"
}

db_report() {
  local n="$3"
  paste -d ' ' "$1" "$2" | awk -v n="$n" '{
    printf "db: commits=%d (%.2f per job) claims=%d (%.3f per job, %.1f jobs per claim) queue_index_entries_read=%d (%.0f per claim)\n",
      $4-$1, ($4-$1)/n, $5-$2, ($5-$2)/n, n/(($5-$2)>0?($5-$2):1), $6-$3, ($6-$3)/(($5-$2)>0?($5-$2):1) }'
}

# CPU seconds used by this shell's finished children (e.g. the load generator): call as
# `times > FILE` before and after, then children_cpu FILE_BEFORE FILE_AFTER WALL_SECONDS prints
# their share of the machine.
children_cpu() {
  awk -v wall="$3" -v cores="$(nproc)" '
    function secs(s,  m) { m = s; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", s); sub(/s$/, "", s); return 60 * m + s }
    FNR == 2 { v[FILENAME == ARGV[1] ? "a" : "b"] = secs($1) + secs($2) }
    END { printf "loadgen_cpu=%.0f%% of the machine (%.1f cpu s)\n", 100 * (v["b"] - v["a"]) / (wall * cores), v["b"] - v["a"] }' "$1" "$2"
}
