#!/usr/bin/env bash
# Three worker processes draining one queue: the same N provider-bound jobs (100 ms each, four
# at a time per worker) drained first by the stack's one worker, then by three (the stack's and
# two more started from its environment, each with its own WORKER_ID). No job runs twice
# (attempts = 1, one hold and one capture each), each of the three did a share, and throughput
# scales (at least MIN_SCALING, 1.5, times the one worker's; ideally 3: the jobs wait on their
# provider, not on the CPU). Leaves the stack's worker as it was
# (bin/stack restart worker).
# Needs a running local stack; bounded to about 2 minutes.
# Usage: reliability/multi-worker.sh [GATEWAY_URL]    MULTI_WORKER_JOBS (400), MIN_SCALING (2.0)
set -euo pipefail
scenario="multi-worker"
GATEWAY="${1:-${GATEWAY:-}}"
# shellcheck source=reliability/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n="${MULTI_WORKER_JOBS:-400}"
min_scaling="${MIN_SCALING:-1.5}"
concurrency=4
body='{"type":"echo","input":{"simulate":{"latency_ms":100}}}'
work="$(mktemp -d)"
extra_pids=()

restart_worker() { env "$@" "$RELIABILITY_ROOT/bin/stack" restart worker > "$work/stack.log" 2>&1 || { cat "$work/stack.log" >&2; fail "bin/stack restart worker $*"; }; }
cleanup() {
  local pid
  for pid in "${extra_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  restart_worker || true
  rm -rf "$work"
}
trap cleanup EXIT

# N jobs for a fresh user, submitted through the gateway while no worker runs (sets user_id)
queue_jobs() {
  local history="$1" i
  restart_worker MVP_WORKER_ENABLED=false
  new_user "$n"
  for i in $(seq "$n"); do
    submit_until_answered "$history" "multi-$i" "$body" 30 &
    if (( i % 8 == 0 )); then wait; fi
  done
  wait
  [ "$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$user_id' AND status = 'queued'")" = "$n" ] ||
    fail "not all $n jobs are queued before the drain"
}

# jobs/s between the first and the last capture of the user's jobs
drain_rate() {
  sql "SELECT round(($n - 1) / extract(epoch FROM max(created_at) - min(created_at)), 1)
         FROM billing.credit_ledger WHERE user_id = '$1' AND kind = 'capture'"
}

finished_by() {
  curl -fsS "http://127.0.0.1:$1/q/metrics" | awk '/^metered_worker_jobs_finished_total\{/ && /outcome="succeeded"/ { s += $NF } END { print s + 0 }'
}

check_drained() {
  local user="$1" history="$2"
  wait_until_settled "$user" 90
  check_history "$history" "$user" succeeded
  check_ran_once "$user"
}

# The user's queued jobs held back (row locks: the claim's SKIP LOCKED passes over them) until
# every worker of the phase is ready, then released at once.
hold_queue() {
  coproc GATE { psql -X -q -At -v ON_ERROR_STOP=1 -d "$ADMIN_DATABASE_URL"; }
  echo "BEGIN; SELECT count(*) FROM (SELECT id FROM jobs.jobs WHERE user_id = '$user_id' FOR UPDATE) locked;" >&"${GATE[1]}"
  local locked
  read -r locked <&"${GATE[0]}"
  [ "$locked" = "$n" ] || fail "locked $locked of $n jobs"
}
release_queue() {
  echo 'COMMIT;' >&"${GATE[1]}"
  echo '\q' >&"${GATE[1]}"
  wait "$GATE_PID" || true
}

# one worker
queue_jobs "$work/history-1"
one_user="$user_id"
hold_queue
restart_worker WORKER_CONCURRENCY="$concurrency"
release_queue
check_drained "$one_user" "$work/history-1"
one_rate="$(drain_rate "$one_user")"
say "one worker: $one_rate jobs/s"

# three workers: the stack's, and two more with its environment, their own ids and ports
queue_jobs "$work/history-3"
three_user="$user_id"
hold_queue
restart_worker WORKER_CONCURRENCY="$concurrency"
stack_worker="$(cat "$RELIABILITY_ROOT/.run/worker-service.pid")"
mapfile -d '' worker_env < "/proc/$stack_worker/environ"
jar="$RELIABILITY_ROOT/worker-service/target/quarkus-app/quarkus-run.jar"
ports=()
for k in 2 3; do
  port="$(free_port)"
  ports+=("$port")
  env -i "${worker_env[@]}" QUARKUS_HTTP_PORT="$port" WORKER_ID="multi-worker-$k-$$" \
    java -Xmx256m -jar "$jar" > "$work/worker-$k.log" 2>&1 &
  extra_pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/q/health/ready" 2>/dev/null && break
    sleep 0.5
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$port/q/health/ready" || { cat "$work"/worker-*.log >&2; fail "extra worker on port $port is not ready"; }
done
release_queue
check_drained "$three_user" "$work/history-3"
three_rate="$(drain_rate "$three_user")"
shares="stack=$(finished_by "$(service_port worker-service)")"
for port in "${ports[@]}"; do
  share="$(finished_by "$port")"
  [ "$share" -gt 0 ] || fail "the worker on port $port ran no job"
  shares+=" :$port=$share"
done
say "three workers: $three_rate jobs/s (jobs succeeded per worker: $shares)"
check_invariants
scaling="$(python3 -c "print(round($three_rate / $one_rate, 2))")"
python3 -c "import sys; sys.exit(0 if $scaling >= $min_scaling else 1)" ||
  fail "three workers drained at $scaling x one worker's rate (needed $min_scaling x)"
echo "multi-worker: OK $n jobs of 100 ms, concurrency $concurrency per worker: one worker $one_rate jobs/s, three $three_rate jobs/s ($scaling x); each job ran once"
