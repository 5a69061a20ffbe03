#!/usr/bin/env bash
# Each service in turn (auth, billing, jobs, worker, ops) killed with SIGKILL under load, then
# brought back with `bin/stack up`: a client keeps submitting 1 s jobs (retrying each unanswered
# one with its Idempotency-Key), polling their status and its balance, and signing in again.
# Afterwards every acknowledged job has succeeded exactly once (one hold, one settlement), the
# history shows nothing lost, duplicated or unexpected, and bin/check-invariants holds.
# Needs a running local stack; bounded to about 3 minutes (its client keeps one access token, so
# it must end within the token's lifetime, AUTH_ACCESS_TOKEN_TTL_SECONDS, 900 by default).
# Usage: reliability/service-sigkill.sh [GATEWAY_URL]
#   SIGKILL_SERVICES ("auth-service billing-service jobs-service worker-service ops-service")
set -euo pipefail
scenario="service-sigkill"
GATEWAY="${1:-${GATEWAY:-}}"
# shellcheck source=reliability/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
read -ra victims <<< "${SIGKILL_SERVICES:-auth-service billing-service jobs-service worker-service ops-service}"
max_jobs=400
work="$(mktemp -d)"
history="$work/history" answers="$work/answers"
trap 'touch "$work/stop"; stop_background_work; rm -rf "$work"' EXIT

new_user "$max_jobs"

submit_loop() {
  local i=0
  while [ ! -e "$work/stop" ] && [ "$i" -lt "$max_jobs" ]; do
    i=$((i + 1))
    submit_until_answered "$history" "sigkill-$i" '{"type":"echo","input":{"simulate":{"latency_ms":1000}}}' 90 &
    sleep 0.3
  done
  wait
}

# what a dashboard does meanwhile: its balance, its last jobs, one job's status; answers counted
poll_loop() {
  local job
  while [ ! -e "$work/stop" ]; do
    curl -s -o /dev/null -m 3 -w 'balance %{http_code}\n' -H "Authorization: Bearer $token" "$GATEWAY/api/billing/balance" >> "$answers"
    curl -s -o /dev/null -m 3 -w 'list %{http_code}\n' -H "Authorization: Bearer $token" "$GATEWAY/api/jobs?limit=5" >> "$answers"
    job="$(awk '$3 != "-" { j = $3 } END { print j }' "$history" 2>/dev/null)"
    if [ -n "$job" ]; then
      curl -s -o /dev/null -m 3 -w 'status %{http_code}\n' -H "Authorization: Bearer $token" "$GATEWAY/api/jobs/$job" >> "$answers"
    fi
    sleep 0.2
  done
}

submit_loop &
submitter=$!
poll_loop &

for victim in "${victims[@]}"; do
  in_flight=0
  for _ in $(seq 100); do
    in_flight="$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$user_id' AND status IN ('queued', 'running')")"
    [ "$in_flight" -ge 3 ] && break
    sleep 0.1
  done
  pid="$(cat "$RELIABILITY_ROOT/.run/$victim.pid")"
  kill -9 "$pid"
  say "killed $victim (pid $pid) with $in_flight jobs queued or running"
  sleep 1
  METERED_SKIP_BUILD=1 "$RELIABILITY_ROOT/bin/stack" up > "$work/stack-up.log" 2>&1 ||
    { cat "$work/stack-up.log" >&2; fail "bin/stack up after killing $victim"; }
  # signing in works again after each restart, and the new token is accepted everywhere
  fresh="$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
    "$GATEWAY/api/auth/login" | json_field access_token)" || fail "login after restarting $victim"
  curl -fsS -o /dev/null -H "Authorization: Bearer $fresh" "$GATEWAY/api/auth/me" || fail "/api/auth/me after restarting $victim"
  curl -fsS -o /dev/null -H "Authorization: Bearer $fresh" "$GATEWAY/api/billing/balance" || fail "balance after restarting $victim"
done
touch "$work/stop"
wait "$submitter"

wait_until_settled "$user_id" 90
check_history "$history" "$user_id" succeeded
check_all_acknowledged "$history"
ledger="$(sql "SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM (SELECT kind, count(*) n
  FROM billing.credit_ledger WHERE user_id = '$user_id' GROUP BY kind) k")"
acknowledged="$(awk '$2 ~ /^2/ { print $1 }' "$history" | sort -u | wc -l)"
[ "$ledger" = "adjustment=1 capture=$acknowledged hold=$acknowledged" ] || fail "ledger rows: $ledger for $acknowledged jobs"
polls="$(sort "$answers" | uniq -c | awk '{ printf "%s%s:%s=%s", sep, $2, $3, $1; sep = " " }')"
check_invariants
echo "service-sigkill: OK ${#victims[@]} services killed in turn; $acknowledged jobs acknowledged, each succeeded once ($ledger); polls: $polls"
