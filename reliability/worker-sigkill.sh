#!/usr/bin/env bash
# A worker killed with SIGKILL in the middle of 50 running jobs: after `bin/stack up` restarts it
# (same WORKER_ID), every acknowledged job succeeds exactly once (one hold, one capture, no
# release), the history shows nothing lost, duplicated or unexpected, and every invariant holds.
# Needs a running local stack; bounded to about 2 minutes.
# Usage: reliability/worker-sigkill.sh [GATEWAY_URL]
set -euo pipefail
scenario=worker-sigkill
GATEWAY="${1:-${GATEWAY:-}}"
# shellcheck source=reliability/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
jobs="${SIGKILL_JOBS:-50}"
history="$(mktemp)"
trap 'rm -f "$history"' EXIT

new_user "$jobs"
# WORKER_CONCURRENCY of the local stack is 16: a 10 s job keeps many in flight at the kill,
# however slowly a busy machine submits them.
for i in $(seq "$jobs"); do
  submit_job "$history" "sigkill-$i" '{"type":"echo","input":{"simulate":{"latency_ms":10000}}}' &
done
wait

running=0
for _ in $(seq 50); do
  running=$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$user_id' AND status = 'running'")
  [ "$running" -ge 10 ] && break
  sleep 0.1
done
[ "$running" -ge 10 ] || fail "only $running jobs were running before the kill"
kill -9 "$(cat "$RELIABILITY_ROOT/.run/worker-service.pid")"
say "killed the worker with $running of $jobs jobs running"
METERED_SKIP_BUILD=1 "$RELIABILITY_ROOT/bin/stack" up >/dev/null

wait_until_settled "$user_id" 90
check_history "$history" "$user_id" succeeded
ledger=$(sql "SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM (SELECT kind, count(*) n
  FROM billing.credit_ledger WHERE user_id = '$user_id' GROUP BY kind) k")
[ "$ledger" = "adjustment=1 capture=$jobs hold=$jobs" ] || fail "ledger rows: $ledger"
check_invariants
echo "worker-sigkill: OK $jobs jobs succeeded once each after SIGKILL + restart ($ledger)"
