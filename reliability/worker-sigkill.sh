#!/usr/bin/env bash
# A worker killed with SIGKILL in the middle of 20 running jobs: after `bin/stack up` restarts
# it (same WORKER_ID), every job succeeds exactly once, with one hold and one capture each and
# no release, and every account still equals its ledger. Needs a running local stack.
# Usage: reliability/worker-sigkill.sh [GATEWAY_URL]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:-http://localhost:${GATEWAY_PORT:-8080}}"
admin_url="${METERED_ADMIN_DATABASE_URL:-${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/metered}}"
jobs=20

fail() { echo "worker-sigkill: FAIL $*" >&2; exit 1; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$admin_url" -c "$1"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

email="sigkill-$(date +%s)-$RANDOM@example.com"
curl -sf -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"sigkill password\"}" "$base/api/auth/register" || fail "register"
token=$(curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"sigkill password\"}" \
  "$base/api/auth/login" | json_field access_token)
user=$(curl -sf -H "Authorization: Bearer $token" "$base/api/auth/me" | json_field user_id)
sql "SELECT applied FROM billing.topup('$user', $jobs, 'evt_sigkill_$RANDOM$RANDOM', 'reliability')" >/dev/null

for i in $(seq "$jobs"); do
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: sigkill-$i" -d '{"type":"echo","input":{"simulate":{"latency_ms":3000}}}' \
    "$base/api/jobs" || fail "submit job $i"
done

running=0
for _ in $(seq 50); do
  running=$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$user' AND status = 'running'")
  [ "$running" -ge 10 ] && break
  sleep 0.1
done
[ "$running" -ge 10 ] || fail "only $running jobs were running before the kill"
kill -9 "$(cat "$root/.run/worker-service.pid")"
echo "worker-sigkill: killed the worker with $running of $jobs jobs running"
METERED_SKIP_BUILD=1 "$root/bin/stack" up >/dev/null

succeeded=0
for _ in $(seq 120); do
  succeeded=$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$user' AND status = 'succeeded'")
  [ "$succeeded" = "$jobs" ] && break
  sleep 0.5
done
[ "$succeeded" = "$jobs" ] || fail "$succeeded of $jobs jobs succeeded within 60 s of the restart"
ledger=$(sql "SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM (SELECT kind, count(*) n
  FROM billing.credit_ledger WHERE user_id = '$user' GROUP BY kind) k")
[ "$ledger" = "capture=$jobs hold=$jobs topup=1" ] || fail "ledger rows: $ledger"
drift=$(sql "SELECT count(*) FROM billing.ledger_drift")
[ "$drift" = 0 ] || fail "$drift accounts differ from their ledger"
echo "worker-sigkill: OK $jobs jobs succeeded once each after SIGKILL + restart ($ledger, no drift)"
