# shellcheck shell=bash
# Shared by the fault scripts; sourced, not run. A client of a running local stack (bin/stack up)
# that records every request it makes, and the Jepsen-style check of that history against the
# database:
#   acknowledged  submissions answered 2xx: each must exist, exactly once, and end as expected
#   lost          acknowledged, but no job, or not in the expected final status     (must be 0)
#   duplicated    one key with two jobs, or a job with two holds or two settlements (must be 0)
#   unexpected    a job of the scenario's user that no request of the history asked for,
#                 or a job in a status the scenario does not allow                   (must be 0)
#   indeterminate submissions without an answer (timeout, connection refused, 5xx): the job may
#                 or may not exist; either is correct, and it is counted, not judged
#
# The caller sets `scenario` (a short name for messages) before sourcing.
RELIABILITY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GATEWAY="${GATEWAY:-http://localhost:${GATEWAY_PORT:-$((8080 + ${METERED_PORT_OFFSET:-0}))}}"
ADMIN_DATABASE_URL="${METERED_ADMIN_DATABASE_URL:-${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/metered}}"
ADMIN_DATABASE_URL="${ADMIN_DATABASE_URL%%\?*}"
scenario="${scenario:-reliability}"

say() { echo "$(date +%T) $scenario: $*" >&2; }
fail() { echo "$scenario: FAIL $*" >&2; exit 1; }

# psql as the superuser: quiet, unaligned, stop on error. Fails fast while PostgreSQL is down.
sql() { PGCONNECT_TIMEOUT=5 psql -X -q -At -v ON_ERROR_STOP=1 -d "$ADMIN_DATABASE_URL" -c "$1"; }

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

admin_token() {
  [ -n "${ADMIN_TOKEN:-}" ] && { echo "$ADMIN_TOKEN"; return; }
  sed -n 's/^ADMIN_TOKEN=//p' "$RELIABILITY_ROOT/.run/secrets.env" | tr -d "'\""
}

# new_user CREDITS: registers and signs in a fresh user through the gateway and grants it CREDITS
# through the operators' audited adjustment (POST /api/ops/credits/adjust), so that every ledger
# row has its cause and bin/check-invariants holds. Sets user_id, token, email and password.
new_user() {
  local credits="$1" answer
  email="$scenario-$(date +%s%N)-$RANDOM@reliability.invalid"
  password="reliability password $RANDOM$RANDOM"
  curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$GATEWAY/api/auth/register" || fail "register $email"
  token="$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
    "$GATEWAY/api/auth/login" | json_field access_token)" || fail "login $email"
  user_id="$(curl -fsS -H "Authorization: Bearer $token" "$GATEWAY/api/auth/me" | json_field user_id)" || fail "me"
  answer="$(curl -sS -w ' %{http_code}' -H "X-Admin-Token: $(admin_token)" -H "X-Admin-Actor: $scenario" \
    -H 'Content-Type: application/json' \
    -d "{\"user_id\":\"$user_id\",\"amount\":$credits,\"reason\":\"$scenario credits\",\"idempotency_key\":\"$scenario-$user_id\"}" \
    "$GATEWAY/api/ops/credits/adjust")"
  [ "${answer##* }" = 201 ] || fail "granting $credits credits: $answer"
}

# submit_job HISTORY KEY BODY [MAX_SECONDS]: POST /api/jobs as $token with Idempotency-Key KEY and
# appends "KEY HTTP_STATUS JOB_ID" to HISTORY (status 000 and job "-" when no answer came).
# Safe to run in the background: each line is one short append.
submit_job() {
  local history="$1" key="$2" body="$3" max="${4:-10}" answer status job
  answer="$(curl -sS -m "$max" -w '\n%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: $key" -d "$body" \
    "$GATEWAY/api/jobs" 2>/dev/null)" || true
  status="${answer##*$'\n'}"
  [[ "$status" =~ ^[0-9]{3}$ ]] || status=000
  job=-
  if [[ "$status" == 2* ]]; then
    # sed, not a JSON parser: this runs for every request, and job ids are plain UUIDs
    job="$(sed -n 's/.*"job_id":"\([0-9a-f-]*\)".*/\1/p' <<< "${answer%$'\n'*}")"
    job="${job:--}"
  fi
  printf '%s %s %s\n' "$key" "$status" "$job" >> "$history"
}

# submit_until_answered HISTORY KEY BODY SECONDS: what a careful client does through an outage:
# the same request, with the same Idempotency-Key, again until a 2xx or 4xx arrives (every try is
# recorded), for at most SECONDS. A 429 is retried too.
submit_until_answered() {
  local history="$1" key="$2" body="$3" deadline=$((SECONDS + $4)) last
  while :; do
    submit_job "$history" "$key" "$body" 5
    last="$(awk -v k="$key" '$1 == k { s = $2 } END { print s }' "$history")"
    [[ "$last" == 2* || ( "$last" == 4* && "$last" != 429 ) ]] && return 0
    [ "$SECONDS" -lt "$deadline" ] || return 0
    sleep 0.5
  done
}

# stop_background_work: kills every process this script started in the background, and theirs
# (a submitter's retry loops outlive a killed parent), so none writes into a removed directory.
# Each is stopped before its children are looked up, so that it cannot start another meanwhile.
stop_background_work() {
  local pid
  for pid in $(pgrep -P "${1:-$$}"); do
    kill -STOP "$pid" 2>/dev/null || continue
    stop_background_work "$pid"
    kill "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
  done
}

# service_port SERVICE: the port bin/stack gives SERVICE (auth-service…) under METERED_PORT_OFFSET.
service_port() {
  local -A base=([auth-service]=8081 [billing-service]=8082 [jobs-service]=8083 [worker-service]=8084
    [ops-service]=8085)
  echo $((base[$1] + ${METERED_PORT_OFFSET:-0}))
}

# free_port: a TCP port nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# service_pids: "service=pid" of the five services as bin/stack started them.
service_pids() {
  local service
  for service in auth-service billing-service jobs-service worker-service ops-service; do
    printf '%s=%s ' "$service" "$(cat "$RELIABILITY_ROOT/.run/$service.pid" 2>/dev/null || echo -)"
  done
}

# wait_until_settled USER_ID SECONDS: waits until none of the user's jobs is queued or running.
wait_until_settled() {
  local user="$1" seconds="$2" open=unknown deadline=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$deadline" ]; do
    open="$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$user' AND status IN ('queued', 'running')" 2>/dev/null)" || open=unknown
    [ "$open" = 0 ] && return 0
    sleep 0.5
  done
  fail "$open jobs of user $user still queued or running after $seconds s"
}

# check_history HISTORY USER_ID FINAL_STATUSES: the Jepsen-style verdict (see the top of this file).
# FINAL_STATUSES is a comma-separated list of the statuses an acknowledged job may end in
# (e.g. succeeded, or succeeded,failed). Prints one line of counts; fails unless lost,
# duplicated and unexpected are all 0.
check_history() {
  local history="$1" user="$2" final="$3" verdict
  verdict="$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$ADMIN_DATABASE_URL" <<SQL
CREATE TEMP TABLE history (key text, status int, job text);
\copy history FROM '$history' WITH (DELIMITER ' ')
CREATE TEMP TABLE verdict AS
WITH answered AS (
  SELECT key, bool_or(status BETWEEN 200 AND 299) AS acknowledged FROM history GROUP BY key),
mine AS (SELECT * FROM jobs.jobs WHERE user_id = '$user'),
settlements AS (
  SELECT reference AS job, count(*) FILTER (WHERE kind = 'hold') AS holds,
         count(*) FILTER (WHERE kind IN ('capture', 'release')) AS settled
    FROM billing.credit_ledger WHERE user_id = '$user' AND kind IN ('hold', 'capture', 'release')
   GROUP BY reference)
SELECT
  (SELECT count(*) FROM answered WHERE acknowledged) AS acknowledged,
  (SELECT count(*) FROM answered a WHERE acknowledged AND NOT EXISTS (
     SELECT 1 FROM mine m WHERE m.idempotency_key = a.key
        AND m.status = ANY (string_to_array('$final', ',')))) AS lost,
  (SELECT count(*) FROM (SELECT idempotency_key FROM mine GROUP BY 1 HAVING count(*) > 1) d)
    + (SELECT count(*) FROM settlements WHERE holds > 1 OR settled > 1) AS duplicated,
  (SELECT count(*) FROM mine m WHERE NOT EXISTS (SELECT 1 FROM answered a WHERE a.key = m.idempotency_key)
      OR m.status <> ALL (string_to_array('$final', ','))) AS unexpected,
  (SELECT count(*) FROM answered WHERE NOT acknowledged) AS indeterminate,
  (SELECT count(*) FROM answered a WHERE NOT acknowledged
      AND EXISTS (SELECT 1 FROM mine m WHERE m.idempotency_key = a.key)) AS indeterminate_created,
  (SELECT count(*) FROM mine WHERE attempts > 1) AS retried;
SELECT format('acknowledged=%s lost=%s duplicated=%s unexpected=%s indeterminate=%s (of which created=%s) jobs_retried=%s',
              acknowledged, lost, duplicated, unexpected, indeterminate, indeterminate_created, retried)
  FROM verdict;
SELECT lost + duplicated + unexpected FROM verdict;
SQL
)" || fail "could not read the history's verdict"
  say "history: ${verdict%$'\n'*}"
  [ "${verdict##*$'\n'}" = 0 ] || fail "the history breaks exactly-once: ${verdict%$'\n'*}"
}

# check_ran_once USER_ID: no job of the user took a second attempt, so its provider ran it once.
check_ran_once() {
  local twice
  twice="$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$1' AND attempts <> 1")"
  [ "$twice" = 0 ] || fail "$twice jobs ran more than once"
}

# check_all_acknowledged HISTORY [IGNORED_KEY_PREFIX]: every key's last answer was a 2xx, i.e.
# the client's retries (submit_until_answered) got every submission through.
check_all_acknowledged() {
  local unanswered
  unanswered="$(awk -v skip="${2:-}" 'skip == "" || index($1, skip) != 1 { s[$1] = $2 }
    END { for (k in s) if (s[k] !~ /^2/) n++; print n + 0 }' "$1")"
  [ "$unanswered" = 0 ] || fail "$unanswered submissions never got a 2xx, even retried"
}

# check_invariants: bin/check-invariants on the stack's database; every scenario ends with it.
check_invariants() {
  "$RELIABILITY_ROOT/bin/check-invariants" --database-url "$ADMIN_DATABASE_URL" > "${TMPDIR:-/tmp}/$scenario-invariants.txt" ||
    { cat "${TMPDIR:-/tmp}/$scenario-invariants.txt" >&2; fail "bin/check-invariants found violations"; }
  say "bin/check-invariants: every invariant holds"
}
