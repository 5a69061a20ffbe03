#!/usr/bin/env bash
# Network faults between the services and PostgreSQL, from reliability/tcp-fault-proxy.py put in
# front of the database for jobs-service and worker-service (the money and queue path), while a
# client keeps submitting 1 s jobs and retries each unanswered one with its Idempotency-Key:
#   delay (every packet held FAULT_DELAY_MS, 300), freeze (nothing forwarded, connections kept),
#   drop (every connection reset, new ones too), each for FAULT_SECONDS (4), then healed.
# After each fault, submissions succeed again by themselves (the time it takes is printed); in
# the end no acknowledged job is lost, none duplicated, each ran once, bin/check-invariants
# holds. Leaves jobs and worker connected straight to PostgreSQL again (bin/stack restart).
# Needs a running local stack; bounded to about 3 minutes.
# Usage: reliability/network-faults.sh [GATEWAY_URL]
set -euo pipefail
scenario="network-faults"
GATEWAY="${1:-${GATEWAY:-}}"
# shellcheck source=reliability/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fault_seconds="${FAULT_SECONDS:-4}"
delay_ms="${FAULT_DELAY_MS:-300}"
proxied=(jobs worker)
work="$(mktemp -d)"
history="$work/history"

proxy_port="$(free_port)" control_port="$(free_port)"
read -r db_target proxied_url < <(python3 - "$ADMIN_DATABASE_URL" "$proxy_port" <<'PY'
import sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
credentials = url.netloc.rpartition("@")[0]
print(f"{url.hostname or '127.0.0.1'}:{url.port or 5432}",
      url._replace(netloc=(credentials + "@" if credentials else "") + "127.0.0.1:" + sys.argv[2]).geturl())
PY
)
control() {
  local answer
  answer="$(python3 - "$control_port" "$*" <<'PY'
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    s.sendall((sys.argv[2] + "\n").encode())
    print(s.makefile().readline().strip())
PY
)"
  [[ "$answer" == ok* ]] || fail "proxy: $* -> $answer"
  echo "$answer"
}
restart_services() {
  local service
  for service in "${proxied[@]}"; do
    DATABASE_URL="$1" "$RELIABILITY_ROOT/bin/stack" restart "$service" > "$work/stack.log" 2>&1 ||
      { cat "$work/stack.log" >&2; return 1; }
  done
}
cleanup() {
  touch "$work/stop"
  stop_background_work
  restart_services "$ADMIN_DATABASE_URL" || say "could not reconnect ${proxied[*]} straight to PostgreSQL: bin/stack restart them"
  kill "$proxy_pid" 2>/dev/null || true
  rm -rf "$work"
}

python3 "$RELIABILITY_ROOT/reliability/tcp-fault-proxy.py" "$proxy_port" "$db_target" "$control_port" > "$work/proxy.log" 2>&1 &
proxy_pid=$!
trap cleanup EXIT
for _ in $(seq 50); do (control stats) >/dev/null 2>&1 && break; sleep 0.1; done
control stats >/dev/null
restart_services "$proxied_url" || fail "could not restart ${proxied[*]} through the proxy"
say "jobs-service and worker-service reach PostgreSQL through 127.0.0.1:$proxy_port"

new_user 1000
submit_loop() {
  local i=0
  while [ ! -e "$work/stop" ] && [ "$i" -lt 1000 ]; do
    i=$((i + 1))
    submit_until_answered "$history" "net-$i" '{"type":"echo","input":{"simulate":{"latency_ms":1000}}}' 90 &
    sleep 0.25
  done
  wait
}
submit_loop &
submitter=$!

# healed: a fresh submission is acknowledged; prints the milliseconds it took from the heal
time_to_heal() {
  local healed_at probe=0 status
  healed_at="$(date +%s%3N)"
  while :; do
    probe=$((probe + 1))
    status="$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -H "Idempotency-Key: heal-$1-$probe" -d '{"type":"echo","input":{}}' "$GATEWAY/api/jobs")" || true
    echo "heal-$1-$probe $status -" >> "$history"
    [[ "$status" == 2* ]] && break
    [ $(( $(date +%s%3N) - healed_at )) -lt 60000 ] || fail "submissions still fail 60 s after healing $1"
    sleep 0.2
  done
  echo $(( $(date +%s%3N) - healed_at ))
}

sleep 3
figures=""
for fault in "delay $delay_ms" freeze drop; do
  before="$(wc -l < "$history")"
  say "$(control "$fault") for $fault_seconds s"
  sleep "$fault_seconds"
  control pass >/dev/null
  say "healed the network"
  during="$(tail -n +"$((before + 1))" "$history" | awk '{ c[$2 ~ /^2/ ? "2xx" : $2]++ } END { for (k in c) { printf "%s%s=%s", sep, k, c[k]; sep = "," } }')"
  healed="$(time_to_heal "${fault%% *}")"
  say "${fault%% *}: answers meanwhile ${during:-none}; submissions acknowledged again ${healed} ms after healing"
  figures+=" ${fault%% *}: healed in ${healed} ms (answers meanwhile ${during:-none});"
  sleep 2
done
touch "$work/stop"
wait "$submitter"
say "proxy $(control stats)"

wait_until_settled "$user_id" 120
# the heal probes are jobs too: they count as acknowledged like every other 2xx
check_history "$history" "$user_id" succeeded
check_ran_once "$user_id"
check_all_acknowledged "$history" heal-
acknowledged="$(awk '$2 ~ /^2/ { print $1 }' "$history" | sort -u | wc -l)"
check_invariants
echo "network-faults: OK $acknowledged jobs acknowledged, each ran once;$figures"
