#!/usr/bin/env bash
# PostgreSQL stopped and started again (pg_ctlcluster) while jobs are submitted and worked:
#   - during the outage every service reports not ready (/q/health/ready and /api/ready 503, or
#     no answer within the probe's 1 s); afterwards all are ready again by themselves, with the
#     same processes;
#   - the client retries each unanswered submission with its Idempotency-Key: no submission
#     acknowledged with 2xx is lost, none is duplicated, no job runs twice (attempts = 1), and
#     bin/check-invariants holds.
# Needs a running local stack whose database is on a cluster this user may restart (root, or
# the postgres user); PG_CLUSTER ("15 main") names it, otherwise the cluster listening on the
# database URL's port; or PG_STOP_COMMAND and PG_START_COMMAND (a container's). Bounded to
# about 2 minutes.
# Usage: reliability/postgres-restart.sh [GATEWAY_URL]
#   OUTAGE_SECONDS (5) between stop and start, RESTART_JOBS (60) jobs submitted over the run
set -euo pipefail
scenario=postgres-restart
GATEWAY="${1:-${GATEWAY:-}}"
# shellcheck source=reliability/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
outage="${OUTAGE_SECONDS:-5}"
jobs="${RESTART_JOBS:-60}"
services=(auth-service billing-service jobs-service worker-service ops-service)
work="$(mktemp -d)"
history="$work/history" probes="$work/probes"
trap 'stop_background_work; rm -rf "$work"' EXIT

# How to stop and start the server: PG_STOP_COMMAND / PG_START_COMMAND (e.g. docker stop / start
# of a PostgreSQL container), else pg_ctlcluster on PG_CLUSTER or the cluster on the URL's port.
if [ -n "${PG_STOP_COMMAND:-}" ] && [ -n "${PG_START_COMMAND:-}" ]; then
  stop_postgres() { bash -c "$PG_STOP_COMMAND" >/dev/null; }
  start_postgres() { bash -c "$PG_START_COMMAND" >/dev/null; }
  cluster_label="PostgreSQL ($PG_STOP_COMMAND)"
else
  cluster="${PG_CLUSTER:-}"
  if [ -z "$cluster" ]; then
    port="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).port or 5432)' "$ADMIN_DATABASE_URL")"
    cluster="$(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p { print $1, $2; exit }')"
    [ -n "$cluster" ] || fail "no local cluster listens on port $port (set PG_CLUSTER, or PG_STOP_COMMAND and PG_START_COMMAND)"
  fi
  read -r cluster_version cluster_name <<< "$cluster"
  stop_postgres() { pg_ctlcluster --skip-systemctl-redirect "$cluster_version" "$cluster_name" stop -m fast; }
  start_postgres() { pg_ctlcluster --skip-systemctl-redirect "$cluster_version" "$cluster_name" start; }
  cluster_label="PostgreSQL $cluster_version/$cluster_name"
fi

# Every 0.2 s: epoch ms, /api/ready through the gateway, then each service's readiness probe
# (000: no answer within 1 s; `|| true`, or set -e would end the loop at the first one).
status_of() { curl -s -o /dev/null -m 1 -w '%{http_code}' "$1" || true; }
probe_loop() {
  local line service
  while :; do
    line="$(date +%s%3N) $(status_of "$GATEWAY/api/ready")"
    for service in "${services[@]}"; do
      line+=" $(status_of "http://127.0.0.1:$(service_port "$service")/q/health/ready")"
    done
    echo "$line" >> "$probes"
    sleep 0.2
  done
}

# A steady trickle of 2 s jobs over the whole run, each retried through the outage.
submit_loop() {
  local i
  for i in $(seq "$jobs"); do
    submit_until_answered "$history" "restart-$i" '{"type":"echo","input":{"simulate":{"latency_ms":2000}}}' 60 &
    sleep 0.25
  done
  wait
}

new_user "$jobs"
pids_before="$(service_pids)"
probe_loop &
probe_pid=$!
submit_loop &
submitter=$!

running=0
for _ in $(seq 100); do
  running="$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$user_id' AND status = 'running'")"
  [ "$running" -ge 5 ] && break
  sleep 0.1
done
[ "$running" -ge 5 ] || fail "only $running jobs were running before the outage"
say "stopping $cluster_label for $outage s with $running jobs running"
stopped_at="$(date +%s%3N)"
stop_postgres
sleep "$outage"
start_postgres
started_at="$(date +%s%3N)"

# recovered: the first probe after the start at which the gateway and all five are ready
recovered_at=""
for _ in $(seq 300); do
  recovered_at="$(awk -v t="$started_at" '$1 >= t && $2 == 200 && $3 == 200 && $4 == 200 && $5 == 200 && $6 == 200 && $7 == 200 { print $1; exit }' "$probes")"
  [ -n "$recovered_at" ] && break
  sleep 0.2
done
[ -n "$recovered_at" ] || fail "not every service was ready again within 60 s of $started_at; probes since:
$(awk -v t="$started_at" '$1 >= t' "$probes" | uniq -c -f1 | head -n 20)"
wait "$submitter"
kill "$probe_pid"

# not ready during the outage: each column saw a 503, or no answer within the probe's 1 s (a
# failed probe for Kubernetes too), between stop and start, and never a 5xx other than 503
for column in 2 3 4 5 6 7; do
  awk -v a="$stopped_at" -v b="$started_at" -v c="$column" '$1 >= a && $1 <= b && ($c == 503 || $c == "000") { found = 1 } END { exit !found }' "$probes" ||
    fail "column $column of the probes was never not-ready during the outage: $(awk -v a="$stopped_at" -v b="$started_at" '$1 >= a && $1 <= b' "$probes" | head -n 3)"
done
awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^5/ && $i != 503) { print; exit 1 } }' "$probes" > "$work/odd" ||
  fail "a probe answered neither 200, 503 nor nothing: $(cat "$work/odd")"
[ "$(service_pids)" = "$pids_before" ] || fail "a service was restarted: $pids_before -> $(service_pids)"
say "not ready during the outage, all ready again $(( (recovered_at - started_at) )) ms after PostgreSQL started, same processes"

wait_until_settled "$user_id" 90
check_history "$history" "$user_id" succeeded
check_ran_once "$user_id"
check_all_acknowledged "$history"
retried="$(awk '{ n[$1]++ } END { for (k in n) if (n[k] > 1) r++; print r + 0 }' "$history")"
check_invariants
echo "postgres-restart: OK outage ${outage}s, ready again after $(( recovered_at - started_at )) ms; $jobs jobs acknowledged, $retried of them only after retrying through the outage; each ran once"
