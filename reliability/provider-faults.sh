#!/usr/bin/env bash
# The Replicate provider failing in each way it can, against a local fake of its predictions API
# (reliability/fake-replicate.py; nothing reaches the internet). jobs-service and the worker are
# restarted with one job type per fake model (fault.ok, fault.slow, fault.hang, fault.stuck,
# fault.error500, fault.flaky, fault.reject), short timeouts and a short backoff, and a mix of jobs
# is submitted through the gateway, one user per behaviour. Proves:
#   - ok and slow jobs succeed in one attempt, each prediction created once; ok jobs submitted
#     while the hang, stuck and 500 jobs hold their attempts and retries still finish in seconds;
#   - a request that is never answered (hang) is cut after REPLICATE_REQUEST_TIMEOUT_SECONDS, a
#     prediction 'processing' for ever (stuck) after WORKER_PROVIDER_TIMEOUT_SECONDS; a 500 is tried
#     5 times within an attempt (ReplicateProvider: 1 + MAX_TRANSIENT_RETRIES 4);
#   - those three are retryable (docs/QUEUE.md): retried after the configured backoff up to
#     max_attempts (JOBS_MAX_ATTEMPTS), then dead, in jobs.job_dead_letters with every attempt's
#     error, their hold released, and listed by GET /api/ops/dead-letters;
#   - flaky jobs (500 for the first 6 requests) succeed on their second attempt;
#   - a 422 is not retryable: the job fails after one attempt, hold released, no dead letter;
#   - every prediction the worker gave up on (timed out, or its polling failed) was canceled;
#   - the history of every behaviour is exactly-once (check_history) and every invariant holds.
# jobs-service and the worker get their previous WORKER_*, JOBS_*, REPLICATE_* and MVP_* settings
# back at the end (read from their processes), also on failure. Needs a running local stack;
# restarts two of its services twice; bounded to about 2 minutes.
# Usage: reliability/provider-faults.sh [GATEWAY_URL]
#   FAKE_REPLICATE_PORT (18099 + METERED_PORT_OFFSET), METERED_PORT_OFFSET (from GATEWAY's port),
#   PROVIDER_FAULTS_HANG_JOBS (6: more than Vert.x's default pool of 5 connections, which once
#   let the held requests starve every other job), PROVIDER_FAULTS_OK_JOBS (12),
#   PROVIDER_FAULTS_OK_MAX_SECONDS (3)
set -euo pipefail
scenario=provider-faults
GATEWAY="${1:-${GATEWAY:-}}"
# shellcheck source=reliability/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$RELIABILITY_ROOT/reliability"
started=$SECONDS

# The stack's ports: METERED_PORT_OFFSET, else the gateway's port less 8080.
if [ -z "${METERED_PORT_OFFSET:-}" ]; then
  gateway_port="${GATEWAY##*:}"
  gateway_port="${gateway_port%%/*}"
  [[ "$gateway_port" =~ ^[0-9]+$ ]] && [ "$gateway_port" -ge 8080 ] || gateway_port=8080
  METERED_PORT_OFFSET=$((gateway_port - 8080))
fi
export METERED_PORT_OFFSET
worker_port=$((8084 + METERED_PORT_OFFSET))
fake_port="${FAKE_REPLICATE_PORT:-$((18099 + METERED_PORT_OFFSET))}"
fake="http://127.0.0.1:$fake_port"

# The fault configuration. Timeouts in seconds, delays in milliseconds.
max_attempts=3
request_timeout=2           # REPLICATE_REQUEST_TIMEOUT_SECONDS: cuts the hang requests
provider_timeout=6          # WORKER_PROVIDER_TIMEOUT_SECONDS: cuts the stuck predictions
retry_base=400 retry_cap=1600 worker_poll=200 replicate_poll=200
client_tries=5              # ReplicateProvider: a 5xx is sent 1 + MAX_TRANSIENT_RETRIES (4) times
slow_answer=500 slow_run=3000    # fake: slow POST answered after 0.5 s, succeeded 3 s after creation
flaky_failures=$((client_tries + 1))   # the whole first attempt, and the first try of the second
slack=1.5                   # seconds a loaded machine may add to any of the timings above
ok_max="${PROVIDER_FAULTS_OK_MAX_SECONDS:-3}"
behaviours=(ok slow hang stuck error500 flaky reject)
declare -A count=([ok]="${PROVIDER_FAULTS_OK_JOBS:-12}" [slow]=2 [hang]="${PROVIDER_FAULTS_HANG_JOBS:-6}"
  [stuck]=2 [error500]=2 [flaky]=2 [reject]=2)
# expected per behaviour: final status, attempts, dead letter, POSTs the fake sees per job, last_error
declare -A final=([ok]=succeeded [slow]=succeeded [hang]=dead [stuck]=dead [error500]=dead [flaky]=succeeded
  [reject]=failed)
declare -A attempts=([ok]=1 [slow]=1 [hang]=$max_attempts [stuck]=$max_attempts [error500]=$max_attempts
  [flaky]=2 [reject]=1)
declare -A posts=([ok]=1 [slow]=1 [hang]=$max_attempts [stuck]=$max_attempts
  [error500]=$((max_attempts * client_tries)) [flaky]=$((flaky_failures + 1)) [reject]=1)
declare -A last_error=([ok]='' [slow]='' [hang]='replicate POST /v1/predictions failed: %'
  [stuck]="provider timed out after $provider_timeout s"
  [error500]="replicate POST /v1/predictions answered 500 $((client_tries - 1)) times"
  [flaky]="replicate POST /v1/predictions answered 500 $((client_tries - 1)) times"
  [reject]='replicate POST /v1/predictions answered 422: %')

# service_env SERVICE PORT FILE: the WORKER_*, JOBS_*, REPLICATE_* and MVP_* variables SERVICE
# was started with (NUL-separated), to give them back at the end; fails unless bin/stack of this
# checkout started it on PORT.
service_env() {
  local pid
  pid="$(cat "$RELIABILITY_ROOT/.run/$1.pid" 2>/dev/null)" || fail "$1 is not running: bin/stack up first"
  kill -0 "$pid" 2>/dev/null || fail "$1 (pid $pid) is not running: bin/stack up first"
  [ -r "/proc/$pid/environ" ] || fail "cannot read the environment of $1 (pid $pid) to restore it later"
  grep -qzx "QUARKUS_HTTP_PORT=$2" "/proc/$pid/environ" ||
    fail "$1 of $RELIABILITY_ROOT does not listen on port $2: GATEWAY (or METERED_PORT_OFFSET) names another stack"
  curl -fsS -o /dev/null -m 5 "http://127.0.0.1:$2/q/health/live" || fail "$1 does not answer on port $2"
  grep -zE '^(WORKER|JOBS|REPLICATE|MVP)_[A-Z0-9_]*=' "/proc/$pid/environ" > "$3" || true
}

# env_value FILE NAME: NAME's value in a service_env FILE (empty when absent).
env_value() { sed -zn "s/^$2=//p" "$1" | tr -d '\0'; }

# restart_with SERVICE FILE [NAME=VALUE...]: bin/stack restart SERVICE with FILE's variables of
# those four families and the given ones, and none of the caller's.
restart_with() {
  local service="$1" file="$2" name pair
  shift 2
  if ! (
    for name in $(compgen -e); do
      if [[ "$name" =~ ^(WORKER|JOBS|REPLICATE|MVP)_ ]]; then unset "$name"; fi
    done
    while IFS= read -r -d '' pair; do export "${pair?}"; done < "$file"
    for pair in "$@"; do export "${pair?}"; done
    PATH="$caller_path" METERED_SKIP_BUILD=1 exec "$RELIABILITY_ROOT/bin/stack" restart "$service"
  ) > "$work/restart-$service.log" 2>&1; then
    came_up "$service" "$file" "$@" && return 0
    cat "$work/restart-$service.log" >&2
    return 1
  fi
}

# came_up SERVICE FILE [NAME=VALUE...]: whether SERVICE runs anyway, ready, with FILE's and these
# settings. On a busy machine bin/stack's first liveness check of a service it has just started can
# come before the forked shell has exec'd setsid: /proc/PID/cmdline is still bin/stack's own, has no
# jar in it, and bin/stack reports "exited while starting" about a process that starts fine.
came_up() {
  local service="$1" file="$2" pid port pair _
  shift 2
  case "$service" in jobs-service) port=$((8083 + METERED_PORT_OFFSET)) ;; *) port=$worker_port ;; esac
  pid="$(cat "$RELIABILITY_ROOT/.run/$service.pid" 2>/dev/null)" || return 1
  for _ in $(seq 60); do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$port/q/health/ready" 2>/dev/null && break
    sleep 1
  done
  [ -r "/proc/$pid/environ" ] || return 1
  grep -qzx "QUARKUS_HTTP_PORT=$port" "/proc/$pid/environ" || return 1
  while IFS= read -r -d '' pair; do set -- "$@" "$pair"; done < "$file"
  for pair in "$@"; do grep -qzxF -- "$pair" "/proc/$pid/environ" || return 1; done
  curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$port/q/health/ready" || return 1
  say "bin/stack reported that $service did not start, but it runs (pid $pid), ready, with the settings given"
}

# restart_both [NAME=VALUE... for jobs-service] -- [NAME=VALUE... for the worker]: both restarted
# with their service_env files and these settings, side by side; the worker's restart begins once
# jobs-service's has bootstrapped the database (bin/db-bootstrap is not run twice at once).
restart_both() {
  local settings=() restarting _
  while [ $# -gt 0 ] && [ "$1" != -- ]; do settings+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  rm -f "$work/restart-jobs-service.log"
  restart_with jobs-service "$work/jobs-service.env" "${settings[@]}" &
  restarting=$!
  for _ in $(seq 600); do
    if grep -qs '^db-bootstrap:' "$work/restart-jobs-service.log" || ! kill -0 "$restarting" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if ! restart_with worker-service "$work/worker-service.env" "$@"; then
    wait "$restarting" || true
    return 1
  fi
  wait "$restarting"
}

# restore: the worker and jobs-service restarted with the settings they had before.
restore() {
  [ "$reconfigured" = yes ] || return 0
  reconfigured=no
  say "restarting the worker and jobs-service with their previous settings"
  restart_both -- || { say "could not restart the worker or jobs-service: run bin/stack up"; return 1; }
}

cleanup() {
  local status=$?
  trap - EXIT
  restore || status=1
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
  if [ "$status" != 0 ] && [ -s "$work/fake.log" ]; then tail -n 5 "$work/fake.log" >&2; fi
  rm -rf "$work"
  exit "$status"
}

fake_pid="" reconfigured=no
work="$(mktemp -d)"
chmod 700 "$work"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
# python3 straight, not through a version manager's shim (pyenv's costs a second a call when busy)
caller_path="$PATH"
mkdir "$work/bin"
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$work/bin/python3"
PATH="$work/bin:$PATH"
run="pf$(date +%s)"

service_env worker-service "$worker_port" "$work/worker-service.env"
service_env jobs-service $((8083 + METERED_PORT_OFFSET)) "$work/jobs-service.env"
# REPLICATE_API_BASE is one for all types: a worker that calls the real Replicate is left alone
if [ -n "$(env_value "$work/worker-service.env" REPLICATE_API_TOKEN)" ] &&
  [[ "$(env_value "$work/worker-service.env" WORKER_PROVIDERS)" == *=replicate:* ]]; then
  fail "this worker sends jobs to Replicate (REPLICATE_API_TOKEN, WORKER_PROVIDERS): not pointing them at a fake"
fi
(exec 3<>"/dev/tcp/127.0.0.1/$fake_port") 2>/dev/null && fail "port $fake_port is taken: set FAKE_REPLICATE_PORT"

# One user per behaviour, made while the services restart.
makers=()
for b in "${behaviours[@]}"; do
  ( new_user "${count[$b]}" >/dev/null && printf '%s %s\n' "$user_id" "$token" > "$work/user.$b" ) &
  makers+=($!)
done

fake_token="r8_fake_$(openssl rand -hex 16)"
python3 "$here/fake-replicate.py" --port "$fake_port" --token "$fake_token" --slow-answer-ms "$slow_answer" \
  --slow-run-ms "$slow_run" --flaky-failures "$flaky_failures" > "$work/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null -m 1 "$fake/_fake/health" 2>/dev/null && break
  kill -0 "$fake_pid" 2>/dev/null || { cat "$work/fake.log" >&2; fail "the fake Replicate did not start"; }
  sleep 0.1
done
curl -fsS -o /dev/null -m 1 "$fake/_fake/health" || fail "the fake Replicate does not answer on $fake"

providers="$(env_value "$work/worker-service.env" WORKER_PROVIDERS)"
pricing="$(env_value "$work/jobs-service.env" JOBS_PRICING)"
# application.properties' defaults when the stack was started without them: other jobs keep flowing
providers="${providers:-echo=simulated,video.kling=simulated}" pricing="${pricing:-echo=1,video.kling=10}"
for b in "${behaviours[@]}"; do
  providers+=",fault.$b=replicate:metered-fake/$b"
  pricing+=",fault.$b=1"
done
reconfigured=yes restarts_started=$SECONDS
restart_both "JOBS_PRICING=$pricing" "JOBS_MAX_ATTEMPTS=$max_attempts" -- "WORKER_PROVIDERS=$providers" \
  "REPLICATE_API_TOKEN=$fake_token" "REPLICATE_API_BASE=$fake" "REPLICATE_POLL_INTERVAL_MS=$replicate_poll" \
  "REPLICATE_REQUEST_TIMEOUT_SECONDS=$request_timeout" "WORKER_PROVIDER_TIMEOUT_SECONDS=$provider_timeout" \
  "WORKER_RETRY_BASE_MS=$retry_base" "WORKER_RETRY_CAP_MS=$retry_cap" "WORKER_POLL_INTERVAL_MS=$worker_poll" \
  "WORKER_CONCURRENCY=16" "WORKER_SHUTDOWN_GRACE_SECONDS=2" ||
  fail "could not restart jobs-service and the worker with the fault settings"
restarts=$((SECONDS - restarts_started))
say "jobs-service and the worker restarted against the fake Replicate on $fake ($restarts s)"
wait "${makers[@]}" || true
declare -A user_of=() token_of=()
for b in "${behaviours[@]}"; do
  [ -s "$work/user.$b" ] || fail "could not make the user of $b"
  read -r "user_of[$b]" "token_of[$b]" < "$work/user.$b"
done

body() { printf '{"type":"fault.%s","input":{"prompt":"provider-faults %s","key":"%s"}}' "$1" "$2" "$2"; }

# The faults first, all at once; then, as soon as every hang job's first request is held, ok jobs
# one by one, while the faults use their attempts and wait for their retries.
fault_started=$SECONDS
submitters=()
for b in slow hang stuck error500 flaky reject; do
  for i in $(seq "${count[$b]}"); do
    token="${token_of[$b]}" submit_job "$work/history.$b" "$run-$b-$i" "$(body "$b" "$run-$b-$i")" &
    submitters+=($!)
  done
done
held=0
for _ in $(seq 150); do
  held="$(curl -fsS -m 2 "$fake/_fake/stats" | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["requests"] if r["model"] == "hang"))')" || held=0
  [ "$held" -ge "${count[hang]}" ] && break
  sleep 0.1
done
[ "$held" -ge "${count[hang]}" ] || fail "only $held requests of the ${count[hang]} hang jobs reached the fake"
say "the fake holds the first requests of the ${count[hang]} hang jobs; submitting ${count[ok]} ok jobs meanwhile"
token="${token_of[ok]}"
for i in $(seq "${count[ok]}"); do
  submit_job "$work/history.ok" "$run-ok-$i" "$(body ok "$run-ok-$i")"
  sleep 0.2
done
wait "${submitters[@]}"
for b in "${behaviours[@]}"; do
  unanswered="$(awk '$2 !~ /^2/' "$work/history.$b" | wc -l)"
  [ "$unanswered" = 0 ] || fail "$unanswered submissions of $b jobs got no 2xx: $(awk '$2 !~ /^2/ { print $2 }' "$work/history.$b" | sort | uniq -c | tr -s ' ')"
done

deadline=$((SECONDS + 60))
for b in "${behaviours[@]}"; do
  wait_until_settled "${user_of[$b]}" $((deadline > SECONDS ? deadline - SECONDS : 1))
done
settled=$((SECONDS - fault_started))
for b in "${behaviours[@]}"; do
  scenario="$scenario/$b" check_history "$work/history.$b" "${user_of[$b]}" "${final[$b]}"
done

# Per behaviour, from the database: jobs succeeded dead failed | attempts | dead letters with
# every attempt | holds captures releases | last errors as expected | seconds to settle.
values=""
for b in "${behaviours[@]}"; do
  values+="${values:+,}('$b', '${user_of[$b]}'::uuid, '${last_error[$b]}')"
done
sql "WITH g(name, user_id, error) AS (VALUES $values),
j AS (SELECT g.name, g.error, j.* FROM jobs.jobs j JOIN g ON j.user_id = g.user_id),
l AS (SELECT reference, count(*) FILTER (WHERE kind = 'hold') AS holds,
             count(*) FILTER (WHERE kind = 'capture') AS captures, count(*) FILTER (WHERE kind = 'release') AS releases
        FROM billing.credit_ledger WHERE user_id IN (SELECT user_id FROM g) GROUP BY reference),
d AS (SELECT job_id, count(*) AS letters, min(attempts) AS attempts, min(jsonb_array_length(error_history)) AS errors
        FROM jobs.job_dead_letters WHERE user_id IN (SELECT user_id FROM g) GROUP BY job_id)
SELECT j.name, count(*), count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'dead'),
       count(*) FILTER (WHERE status = 'failed'), string_agg(DISTINCT j.attempts::text, '/'),
       count(*) FILTER (WHERE d.letters = 1 AND d.attempts = j.attempts AND d.errors = j.attempts),
       sum(l.holds), sum(l.captures), sum(l.releases),
       count(*) FILTER (WHERE CASE WHEN j.error = '' THEN j.last_error IS NULL ELSE j.last_error LIKE j.error END),
       round(max(extract(epoch FROM j.updated_at - j.created_at))::numeric, 1)
  FROM j LEFT JOIN l ON l.reference = j.id::text LEFT JOIN d ON d.job_id = j.id
 GROUP BY j.name" > "$work/groups"
figures=""
for b in "${behaviours[@]}"; do
  n="${count[$b]}"
  row="$(awk -F'|' -v b="$b" '$1 == b' "$work/groups")"
  [ -n "$row" ] || fail "$b: no jobs in the database"
  IFS='|' read -r _ jobs ok dead failed tries letters holds captures releases errors settle <<< "$row"
  case "${final[$b]}" in
    succeeded) want="$n|$n|0|0|${attempts[$b]}|0|$n|$n|0|$n" ;;
    dead) want="$n|0|$n|0|${attempts[$b]}|$n|$n|0|$n|$n" ;;
    failed) want="$n|0|0|$n|${attempts[$b]}|0|$n|0|$n|$n" ;;
  esac
  got="$jobs|$ok|$dead|$failed|$tries|$letters|$holds|$captures|${releases}|$errors"
  [ "$got" = "$want" ] || {
    sql "SELECT status, attempts, last_error FROM jobs.jobs WHERE user_id = '${user_of[$b]}'" >&2
    fail "$b: jobs|succeeded|dead|failed|attempts|dead letters|holds|captures|releases|last_error as expected = $got, want $want"
  }
  figures+=" $b=$jobs/$ok/$dead/$failed/$tries/$settle"
done

# The ok jobs were not held up by the faults: each finished within ok_max seconds, and all while
# the hang, stuck and 500 jobs were still using their attempts.
users_in="'${user_of[hang]}', '${user_of[stuck]}', '${user_of[error500]}'"
read -r ok_latency ok_overlap ok_overlap_hang < <(sql "
SELECT round(max(extract(epoch FROM updated_at - created_at))::numeric, 2),
       count(*) FILTER (WHERE updated_at < (SELECT max(updated_at) FROM jobs.jobs WHERE user_id IN ($users_in))),
       count(*) FILTER (WHERE updated_at < (SELECT max(updated_at) FROM jobs.jobs WHERE user_id = '${user_of[hang]}'))
  FROM jobs.jobs WHERE user_id = '${user_of[ok]}'" | tr '|' ' ')
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$ok_latency" "$ok_max" ||
  fail "an ok job took ${ok_latency} s from submission to success (at most $ok_max s): the faults held it up"
[ "$ok_overlap" = "${count[ok]}" ] ||
  fail "only $ok_overlap of ${count[ok]} ok jobs finished while the faulty jobs were still retrying"

# The timings. The worker's own (metered.worker.job.duration, from the start of an attempt to its
# settlement): hang attempts last the request timeout, stuck ones the provider timeout, never
# less and not much more. The fake's (what it received when, how long it held each request)
# against each job's error history (when each attempt failed): no request held, and no stuck
# prediction polled, past its timeout; each retry after the configured backoff; POSTs per job.
curl -fsS -m 5 "http://127.0.0.1:$worker_port/q/metrics" > "$work/metrics.txt" || fail "the worker's /q/metrics"
curl -fsS -m 5 "$fake/_fake/stats" > "$work/stats.json" || fail "the fake's stats"
keys=""
for b in "${behaviours[@]}"; do keys+="${keys:+,}('${user_of[$b]}'::uuid, '$b')"; done
sql "SELECT json_agg(json_build_object('behaviour', g.b, 'key', j.idempotency_key, 'history', j.error_history))
       FROM jobs.jobs j JOIN (VALUES $keys) g(u, b) ON j.user_id = g.u" > "$work/jobs.json"
expected_posts="" expected_attempts=""
for b in "${behaviours[@]}"; do
  expected_posts+=" $b=${posts[$b]}" expected_attempts+=" $b=$((count[$b] * attempts[$b]))"
done
timings="$(PF_POSTS="$expected_posts" PF_ATTEMPTS="$expected_attempts" PF_REQUEST_TIMEOUT="$request_timeout" \
  PF_PROVIDER_TIMEOUT="$provider_timeout" PF_SLACK="$slack" PF_BASE_MS="$retry_base" PF_CAP_MS="$retry_cap" \
  PF_POLL_MS="$worker_poll" PF_SLOW_RUN_MS="$slow_run" python3 - "$work/stats.json" "$work/jobs.json" "$work/metrics.txt" <<'PY'
import json, os, re, sys
from collections import defaultdict
from datetime import datetime
stats, jobs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
env = os.environ
want_posts = {k: int(v) for k, v in (kv.split("=") for kv in env["PF_POSTS"].split())}
want_attempts = {k: int(v) for k, v in (kv.split("=") for kv in env["PF_ATTEMPTS"].split())}
timeout = {"hang": float(env["PF_REQUEST_TIMEOUT"]), "stuck": float(env["PF_PROVIDER_TIMEOUT"])}
slack = float(env["PF_SLACK"])
base, cap, poll = (float(env[k]) / 1000 for k in ("PF_BASE_MS", "PF_CAP_MS", "PF_POLL_MS"))
problems = []

# the worker's timer, summed over outcomes (retried, dead, succeeded, failed) per job type
timer = defaultdict(lambda: {"count": 0.0, "sum": 0.0, "max": 0.0})
for line in open(sys.argv[3]):
    m = re.match(r'metered_worker_job_duration_seconds_(count|sum|max)\{([^}]*)\}\s+(\S+)', line)
    if m:
        kind, value = m.group(1), float(m.group(3))
        kind_type = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2))).get("type", "")
        t = timer[kind_type.replace("fault.", "")]
        t[kind] = max(t[kind], value) if kind == "max" else t[kind] + value
for b, n in want_attempts.items():
    if timer[b]["count"] != n:
        problems.append("%s: the worker timed %d attempts, want %d" % (b, timer[b]["count"], n))
mean = lambda b: timer[b]["sum"] / timer[b]["count"] if timer[b]["count"] else 0
for b, limit in timeout.items():
    if not (limit <= mean(b) and timer[b]["max"] <= limit + slack):
        problems.append("%s: attempts took %.2f s on average, at most %.2f s; the timeout is %g s"
                        % (b, mean(b), timer[b]["max"], limit))
# slow ones were waited for: as long as the prediction ran, and cut by no timeout
if not float(env["PF_SLOW_RUN_MS"]) / 1000 <= mean("slow") < timeout["stuck"]:
    problems.append("slow: attempts took %.2f s on average" % mean("slow"))

posts, held = defaultdict(list), defaultdict(list)
for r in stats["requests"]:
    if r["method"] == "POST" and r["path"] == "/v1/predictions":
        posts[r["key"]].append(r)
for h in stats["hangs"]:
    held[h["key"]].append(h["closed_at"] - h["accepted_at"])
gaps, polled = [], []
for job in jobs:
    b, key = job["behaviour"], job["key"]
    sent = sorted(posts[key], key=lambda r: r["at"])
    failed_at = [datetime.fromisoformat(e["at"]).timestamp() for e in sorted(job["history"], key=lambda e: e["attempt"])]
    if len(sent) != want_posts[b]:
        problems.append("%s %s: the fake got %d POSTs, want %d" % (b, key, len(sent), want_posts[b]))
    for n, at in enumerate(failed_at):
        later = [r["at"] for r in sent if r["at"] > at]
        if later:
            d = min(cap, base * 2 ** n)
            gaps.append(later[0] - at)
            if not d / 2 - 0.05 <= gaps[-1] <= d + poll + slack:
                problems.append("%s %s: attempt %d started %.2f s after attempt %d failed, want %.2f to %.2f s"
                                % (b, key, n + 2, gaps[-1], n + 1, d / 2, d + poll + slack))
    if b == "hang":
        if len(held[key]) != len(sent):
            problems.append("hang %s: %d requests held, %d let go by the worker" % (key, len(sent), len(held[key])))
        problems += ["hang %s: a request held %.2f s, past the %g s request timeout" % (key, t, timeout[b])
                     for t in held[key] if t > timeout[b] + slack]
    if b == "stuck":
        created = [r["at"] for r in sent if r["status"] == 201]
        mine = [at - c for at, c in zip(failed_at, created)]
        polled += mine
        problems += ["stuck %s: a prediction polled %.2f s, past the %g s provider timeout" % (key, t, timeout[b])
                     for t in mine if t > timeout[b] + slack]
open_left = sum(1 for p in stats["predictions"].values() if p["status"] not in ("succeeded", "failed", "canceled"))
span = lambda xs: "%.2f-%.2f s" % (min(xs), max(xs)) if xs else "-"
print("attempts timed by the worker: hang %.2f s avg (max %.2f), stuck %.2f s avg (max %.2f), error500 %.2f s avg,"
      " slow %.2f s avg;"
      " fake: hang requests held %s, stuck predictions polled %s, retries %s after a failure, %d POSTs, %d GETs,"
      " %d predictions left processing"
      % (mean("hang"), timer["hang"]["max"], mean("stuck"), timer["stuck"]["max"], mean("error500"), mean("slow"),
         span(sum(held.values(), [])), span(polled), span(gaps), sum(len(v) for v in posts.values()),
         sum(1 for r in stats["requests"] if r["method"] == "GET"), open_left))
if open_left:
    problems.append("%d predictions the worker gave up on were not canceled" % open_left)
for p in problems:
    print("PROBLEM " + p)
sys.exit(1 if problems else 0)
PY
)" || { printf '%s\n' "$timings" >&2; fail "the timings"; }

# ops lists every dead job's letter.
dead_jobs="$(sql "SELECT string_agg(id::text, ' ' ORDER BY id::text COLLATE \"C\") FROM jobs.jobs WHERE status = 'dead'
  AND user_id IN ($users_in)")"
cursor="" listed=""
for _ in $(seq 20); do
  curl -fsS -m 10 -H "X-Admin-Token: $(admin_token)" -H "X-Admin-Actor: $scenario" \
    "$GATEWAY/api/ops/dead-letters?limit=200${cursor:+&cursor=$cursor}" > "$work/letters.json" ||
    fail "GET /api/ops/dead-letters"
  page="$(python3 - "$work/letters.json" "${user_of[hang]} ${user_of[stuck]} ${user_of[error500]}" "$max_attempts" <<'PY'
import json, sys
from urllib.parse import quote
page = json.load(open(sys.argv[1]))
users, want = set(sys.argv[2].split()), int(sys.argv[3])
mine = [l["job_id"] for l in page["items"] if l["user_id"] in users and l["attempts"] == want
        and l["job_status"] == "dead" and len(l["error_history"]) == want]
print(quote(page.get("next_cursor") or "", safe=""))
print(" ".join(mine))
PY
)"
  cursor="$(head -n1 <<< "$page")"
  listed+=" $(sed -n 2p <<< "$page")"
  [ -n "$cursor" ] || break
done
listed="$(tr ' ' '\n' <<< "$listed" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ')"
[ "${listed% }" = "$dead_jobs" ] || fail "GET /api/ops/dead-letters lists [${listed% }], the dead jobs are [$dead_jobs]"
letters="$(wc -w <<< "$dead_jobs")"

check_invariants
restore_started=$SECONDS
restore || fail "the worker and jobs-service could not be restarted with their previous settings"
restarts=$((restarts + SECONDS - restore_started))
echo "provider-faults: OK behaviour=jobs/succeeded/dead/failed/attempts/settle_s:$figures;" \
  "ok jobs beside the faults at most ${ok_latency} s each ($ok_overlap_hang of ${count[ok]} done while the hang jobs retried);" \
  "$timings; dead letters listed by ops $letters/$letters; settled in $settled s; run $((SECONDS - started)) s of which $restarts s restarting the two services" |
  tr -s ' '
