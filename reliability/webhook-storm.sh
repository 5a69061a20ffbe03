#!/usr/bin/env bash
# A storm of signed Stripe webhook events (1,000 by default) posted from 16 threads at once to
# POST /api/billing/webhook through the gateway while another user's jobs are submitted and worked:
# paid checkout.session.completed events of real Checkout Sessions, each delivered 2-3 times and
# shuffled; a second paid event for some sessions; refunds and disputes after their payment, and
# refunds before it; events of sessions, payment intents and users billing does not know; types
# billing does not handle; bad signatures and bodies that are not events (reliability/webhook-storm.py
# sends them and judges every answer). Afterwards, from the database and through ops: every verified
# event is stored exactly once with the status it must have (processed, ignored, or failed with one
# attempt per delivery), nothing rejected is stored, every paid session is credited exactly once
# (one topup row, keyed stripe:{event_id}:topup by one of its events), every refund after its payment
# clawed back its share once, every refund before it failed and is listed by
# GET /api/ops/webhook-events?status=failed, every user's balance is what the storm makes it, the
# jobs' history shows nothing lost, duplicated or unexpected, and every invariant holds.
# Needs a running local stack with the Stripe stand-in's webhook secret (.run/secrets.env).
# Usage: reliability/webhook-storm.sh [EVENTS]   (else STORM_EVENTS, else 1000; at least 60)
# Environment: GATEWAY, DATABASE_URL (as lib.sh), STRIPE_WEBHOOK_SECRET (else .run/secrets.env),
# STORM_CONCURRENCY (16 threads), STORM_USERS (5), STORM_JOBS (20: at least that many jobs, more
# while the storm lasts), STORM_SEED (random; printed: the same seed plans the same storm).
# The short form (200 events) takes about a minute on 2 cores; the storm gives up after 90 s and
# every other step is bounded too.
set -euo pipefail
scenario=webhook-storm
# shellcheck source=reliability/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$RELIABILITY_ROOT/reliability"
events="${1:-${STORM_EVENTS:-1000}}"
concurrency="${STORM_CONCURRENCY:-16}"
storm_users="${STORM_USERS:-5}"
seed="${STORM_SEED:-$RANDOM$RANDOM}"
[[ "$events" =~ ^[0-9]+$ ]] && [ "$events" -ge 60 ] || fail "EVENTS must be a whole number, at least 60: $events"
jobs="${STORM_JOBS:-20}"
[[ "$jobs" =~ ^[0-9]+$ ]] && [ "$jobs" -ge 4 ] || fail "STORM_JOBS must be a whole number, at least 4: $jobs"
secret="${STRIPE_WEBHOOK_SECRET:-$(sed -n 's/^STRIPE_WEBHOOK_SECRET=//p' "$RELIABILITY_ROOT/.run/secrets.env" 2>/dev/null | tail -n1 | tr -d "'\"")}"
[ -n "$secret" ] || fail "STRIPE_WEBHOOK_SECRET is needed (environment or .run/secrets.env)"
work="$(mktemp -d "${TMPDIR:-/tmp}/webhook-storm.XXXXXX")"
storm_pid=""
cleanup() {
  if [ -n "$storm_pid" ]; then kill "$storm_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
started=$SECONDS

# ---- the storm's users (fresh, one credit each so they have an account), made side by side, and the
# jobs' user
creators=()
for n in $(seq "$storm_users"); do
  ( new_user 1; echo "$user_id $token" > "$work/user.$n" ) &
  creators+=($!)
done
new_user $((jobs * 10))
jobs_user="$user_id"
for pid in "${creators[@]}"; do wait "$pid" || fail "could not create the storm's users"; done
cat "$work"/user.* > "$work/users"
history="$work/history"
: > "$history"

# ---- the storm, in the background: it creates its Checkout Sessions, says ready, and waits for go
STRIPE_WEBHOOK_SECRET="$secret" timeout -k 5 240 python3 "$here/webhook-storm.py" --gateway "$GATEWAY" \
  --users "$work/users" --out "$work" --database-url "$ADMIN_DATABASE_URL" --events "$events" \
  --concurrency "$concurrency" --seed "$seed" --deadline 90 > "$work/summary.out" 2> "$work/storm.err" &
storm_pid=$!
for _ in $(seq 1200); do
  [ -f "$work/ready" ] && break
  kill -0 "$storm_pid" 2>/dev/null || break
  sleep 0.1
done
[ -f "$work/ready" ] || { cat "$work/storm.err" >&2; fail "the storm did not get ready"; }
say "$(head -n1 "$work/storm.err") (at $((SECONDS - started)) s)"

# ---- jobs of 3 s each, one submitted every 50 ms from before the storm until it is over (at least
# STORM_JOBS of them, at most 10 times as many); the storm starts once a quarter of STORM_JOBS exist
( i=0
  while [ "$i" -lt $((jobs * 10)) ]; do
    i=$((i + 1))
    submit_job "$history" "storm-job-$i" '{"type":"echo","input":{"simulate":{"latency_ms":3000}}}' &
    sleep 0.05
    if [ "$i" -ge "$jobs" ] && { [ -f "$work/storm-over" ] || ! kill -0 "$storm_pid" 2>/dev/null; }; then break; fi
  done
  wait ) &
submitter=$!
for _ in $(seq 300); do
  [ "$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$jobs_user'")" -ge $((jobs / 4)) ] && break
  sleep 0.2
done
touch "$work/go"
storm_rc=0
wait "$storm_pid" || storm_rc=$?
storm_pid=""
wait "$submitter"
tail -n +2 "$work/storm.err" >&2
[ "$storm_rc" = 0 ] || fail "the storm's answers were wrong (exit $storm_rc, seed $seed; see above)"
declare -A summary=()
while IFS='=' read -r key value; do summary[$key]="$value"; done < <(tail -n1 "$work/summary.out" |
  python3 -c 'import json,sys; print("\n".join("%s=%s" % kv for kv in json.load(sys.stdin).items()))' 2>/dev/null)
field() { echo "${summary[$1]:-}"; }
run="$(field run)"
[[ "$run" =~ ^[0-9a-f]+$ ]] || fail "the storm wrote no summary: $(cat "$work/summary.out")"
say "storm: $(field sent) deliveries of $(field distinct) events (+$(field rejected) rejected) in $(field storm_seconds) s," \
  "$(field duplicates) duplicate deliveries ($(field racing) events had copies in flight together)," \
  "up to $(field max_in_flight) in flight (at $((SECONDS - started)) s)"

# ---- the database's verdict: one snapshot, every expectation of the storm's plan
verdict="$(PGCONNECT_TIMEOUT=5 PGOPTIONS='-c statement_timeout=60s' psql -X -q -At -v ON_ERROR_STOP=1 -d "$ADMIN_DATABASE_URL" <<SQL
CREATE TEMP TABLE sent (event_id text, category text, type text, expect text, copies int, session text);
\copy sent FROM '$work/events.tsv'
CREATE TEMP TABLE sess (session text, user_id uuid, credits bigint, category text, credited boolean,
                        clawback bigint, status text, paid_events text, refund_events text);
\copy sess FROM '$work/sessions.tsv'
CREATE TEMP TABLE usr (user_id uuid, kind text, delta bigint);
\copy usr FROM '$work/users.tsv'
-- the ledger keys each session's events may write: a top-up by one of its paid events, refunds by its own
CREATE TEMP TABLE keys AS
  SELECT s.session, s.user_id, 'topup' AS kind, 'stripe:' || e || ':topup' AS key
    FROM sess s, unnest(string_to_array(s.paid_events, ',')) e WHERE s.paid_events <> '-'
  UNION ALL
  SELECT s.session, s.user_id, 'refund', 'stripe:' || e || ':refund'
    FROM sess s, unnest(string_to_array(s.refund_events, ',')) e WHERE s.refund_events <> '-';
CREATE TEMP TABLE problems (problem text);
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;  -- one snapshot; only the temporary tables are written

-- each verified event stored exactly once, each rejected one never, nothing else of this run
INSERT INTO problems
SELECT format('event %s (%s): stored %s times, expected %s', s.event_id, s.category, count(w.id),
              CASE WHEN s.expect = 'absent' THEN 0 ELSE 1 END)
  FROM sent s LEFT JOIN billing.webhook_events w ON w.event_id = s.event_id
 GROUP BY s.event_id, s.category, s.expect
HAVING count(w.id) <> CASE WHEN s.expect = 'absent' THEN 0 ELSE 1 END;
INSERT INTO problems
SELECT format('stored event %s (%s) is no verified event of this storm', w.event_id, w.type)
  FROM billing.webhook_events w
 WHERE (w.event_id LIKE 'evt\_storm\_${run}\_%' OR w.payload::text LIKE '%\_storm\_${run}\_%')
   AND NOT EXISTS (SELECT 1 FROM sent s WHERE s.event_id = w.event_id AND s.expect <> 'absent');
-- its status, and its attempts: one for the applying delivery, one per delivery of a failing event
INSERT INTO problems
SELECT format('event %s (%s, %s): %s after %s attempts (%s), expected %s after %s', s.event_id, s.category,
              s.type, w.status, w.attempts, coalesce(w.last_error, 'no error'), s.expect,
              CASE WHEN s.expect = 'failed' THEN s.copies ELSE 1 END)
  FROM sent s JOIN billing.webhook_events w USING (event_id)
 WHERE w.status <> s.expect OR w.attempts <> CASE WHEN s.expect = 'failed' THEN s.copies ELSE 1 END
    OR (s.expect = 'failed') <> (w.last_error IS NOT NULL);

-- every ledger row naming an event of this run is one of the rows its session may have
INSERT INTO problems
SELECT format('ledger row %s (%s %s, key %s, user %s) was not to be written', l.id, l.kind, l.amount,
              l.idempotency_key, l.user_id)
  FROM billing.credit_ledger l
 WHERE l.idempotency_key LIKE 'stripe:evt\_storm\_${run}\_%'
   AND NOT EXISTS (SELECT 1 FROM keys k WHERE k.key = l.idempotency_key AND k.kind = l.kind AND k.user_id = l.user_id)
   AND NOT EXISTS (SELECT 1 FROM sent s JOIN usr u ON u.kind = 'ghost'
                    WHERE s.category = 'unknown_ghost' AND l.idempotency_key = 'stripe:' || s.event_id || ':topup'
                      AND l.kind = 'topup' AND l.user_id = u.user_id);
-- each session: credited exactly once (or never), clawed back exactly its refunds' share, in its status
INSERT INTO problems
SELECT format('session %s (%s, user %s, %s credits): %s top-up rows (%s) and checkout row topup_entry_id %s,'
              ' status %s, clawed_back %s, %s refunded by %s rows; expected %s top-up, status %s, clawback %s',
              s.session, s.category, s.user_id, s.credits, t.rows, t.amounts, c.topup_entry_id, c.status,
              c.clawed_back, r.clawed, r.rows, CASE WHEN s.credited THEN 1 ELSE 0 END, s.status, s.clawback)
  FROM sess s
  LEFT JOIN billing.checkout_sessions c ON c.stripe_session_id = s.session
  CROSS JOIN LATERAL (SELECT count(*) AS rows, min(l.id) AS entry, string_agg(l.amount::text, ',') AS amounts,
                             bool_and(l.amount = s.credits AND l.reference = s.session) AS right_amount
                        FROM billing.credit_ledger l
                       WHERE l.kind = 'topup' AND (l.reference = s.session
                             OR l.idempotency_key IN (SELECT k.key FROM keys k WHERE k.session = s.session))) t
  CROSS JOIN LATERAL (SELECT count(*) AS rows, coalesce(-sum(l.amount), 0) AS clawed
                        FROM billing.credit_ledger l JOIN keys k ON k.key = l.idempotency_key
                       WHERE k.session = s.session AND k.kind = 'refund') r
 WHERE c.id IS NULL OR c.user_id <> s.user_id OR c.status <> s.status OR c.clawed_back <> s.clawback
    OR r.clawed <> s.clawback
    OR t.rows <> CASE WHEN s.credited THEN 1 ELSE 0 END
    OR (s.credited AND (NOT t.right_amount OR c.topup_entry_id IS DISTINCT FROM t.entry))
    OR (NOT s.credited AND c.topup_entry_id IS NOT NULL);
-- every user's balance: what ops granted plus what the storm was to add and take back
INSERT INTO problems
SELECT format('%s user %s: balance %s, expected %s (granted %s, storm %s)', u.kind, u.user_id,
              coalesce(a.balance::text, 'no account'), coalesce(g.granted, 0) + u.delta, coalesce(g.granted, 0), u.delta)
  FROM usr u
  LEFT JOIN billing.accounts a USING (user_id)
  LEFT JOIN (SELECT user_id, sum(amount) AS granted FROM billing.credit_ledger WHERE kind = 'adjustment'
              GROUP BY user_id) g USING (user_id)
 WHERE a.balance IS DISTINCT FROM coalesce(g.granted, 0) + u.delta;
INSERT INTO problems
SELECT format('storm user %s: ledger row %s (%s %s, key %s) is none of the storm''s', l.user_id, l.id, l.kind,
              l.amount, l.idempotency_key)
  FROM billing.credit_ledger l JOIN usr u USING (user_id)
 WHERE u.kind = 'storm' AND l.kind <> 'adjustment' AND NOT EXISTS (SELECT 1 FROM keys k WHERE k.key = l.idempotency_key);
INSERT INTO problems
SELECT format('ghost user %s is a user of auth-service after all', u.user_id)
  FROM usr u JOIN auth.users au ON au.id = u.user_id WHERE u.kind = 'ghost';

SELECT format('stored=%s processed=%s failed=%s ignored=%s topups=%s refund_rows=%s clawed_back=%s ghost_credits=%s',
              count(w.id), count(*) FILTER (WHERE w.status = 'processed'), count(*) FILTER (WHERE w.status = 'failed'),
              count(*) FILTER (WHERE w.status = 'ignored'),
              (SELECT count(*) FROM billing.credit_ledger l JOIN keys k ON k.key = l.idempotency_key WHERE k.kind = 'topup'),
              (SELECT count(*) FROM billing.credit_ledger l JOIN keys k ON k.key = l.idempotency_key WHERE k.kind = 'refund'),
              (SELECT coalesce(-sum(l.amount), 0) FROM billing.credit_ledger l JOIN keys k ON k.key = l.idempotency_key
                WHERE k.kind = 'refund'),
              (SELECT coalesce(sum(delta), 0) FROM usr WHERE kind = 'ghost'))
  FROM sent s JOIN billing.webhook_events w USING (event_id);
SELECT problem FROM problems ORDER BY problem LIMIT 20;
SELECT count(*) FROM problems;
COMMIT;
SQL
)" || fail "could not read the database's verdict"
problems="${verdict##*$'\n'}"
counts="${verdict%%$'\n'*}"
if [ "$problems" != 0 ]; then
  sed '1d;$d' <<< "$verdict" | sed "s/^/$scenario:   /" >&2
  fail "$problems problems in the database after the storm (seed $seed): $counts"
fi
say "database: $counts; each event stored once, each paid session credited once, balances as sent"

# ---- what an operator sees: the refunds that came before their payment, listed as failed
ADMIN_TOKEN="$(admin_token)" python3 - "$GATEWAY" "$work/events.tsv" "$run" > "$work/ops.out" 2>&1 <<'PY' ||
import json, os, sys, urllib.parse, urllib.request
gateway, events_file, run = sys.argv[1:4]
headers = {"X-Admin-Token": os.environ["ADMIN_TOKEN"], "X-Admin-Actor": "webhook-storm"}
def get(path):
    request = urllib.request.Request(gateway + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None
sent = [line.rstrip("\n").split("\t") for line in open(events_file)]
failed = {e[0]: int(e[4]) for e in sent if e[3] == "failed"}
mine = {e[0] for e in sent}
listed, cursor, problems, total = {}, None, [], 0
for _ in range(100):
    status, page = get("/api/ops/webhook-events?status=failed&limit=200" +
                       ("&cursor=" + urllib.parse.quote(cursor) if cursor else ""))
    if status != 200:
        sys.exit("GET /api/ops/webhook-events?status=failed: %s" % status)
    for item in page["items"]:
        total += 1
        if item["id"] in mine:
            listed[item["id"]] = item
    cursor = page.get("next_cursor")
    if not cursor or len(listed) == len(failed):
        break
for event_id, copies in failed.items():
    item = listed.get(event_id)
    if item is None:
        problems.append("failed event %s is not listed by ops" % event_id)
    elif item["status"] != "failed" or item["attempts"] != copies or not item["last_error"]:
        problems.append("ops lists %s as %s" % (event_id, item))
problems += ["ops lists %s as failed, it should be %s" % (i, [e[3] for e in sent if e[0] == i][0])
             for i in listed if i not in failed]
rejected = [e[0] for e in sent if e[3] == "absent" and e[1] == "bad_signature"]
status, _ = get("/api/ops/webhook-events/" + rejected[0])
if status != 404:
    problems.append("ops has the rejected event %s: %s" % (rejected[0], status))
status, metrics = get("/api/ops/metrics")
if status != 200 or metrics["ledger_drift"] != 0 or metrics["webhook_failed_last_hour"] < len(failed):
    problems.append("ops metrics: %s %s" % (status, metrics and {k: metrics[k] for k in ("ledger_drift", "webhook_failed_last_hour")}))
if problems:
    sys.exit("\n".join(problems[:20]))
before = sum(1 for e in sent if e[3] == "failed" and e[1] == "refund_before")
print("ops lists the %d failed events of this storm (%d refunds before their payment, %d of unknown payment"
      " intents) among the %d newest failed; the rejected %s is not there; ledger_drift 0" %
      (len(failed), before, len(failed) - before, total, rejected[0]))
PY
  fail "ops API: $(cat "$work/ops.out")"
say "$(cat "$work/ops.out")"

# ---- the jobs worked meanwhile
wait_until_settled "$jobs_user" 90
held=$(sql "SELECT count(*) FROM jobs.jobs WHERE user_id = '$jobs_user'")
overlap=$(sql "SELECT format('%s submitted and %s in the queue or running during the storm',
    count(*) FILTER (WHERE created_at BETWEEN to_timestamp($(field began_at)) AND to_timestamp($(field ended_at))),
    count(*) FILTER (WHERE created_at <= to_timestamp($(field ended_at)) AND updated_at >= to_timestamp($(field began_at))))
  FROM jobs.jobs WHERE user_id = '$jobs_user'")
say "jobs: $held, $overlap"
check_history "$history" "$jobs_user" succeeded
ledger=$(sql "SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM (SELECT kind, count(*) n
  FROM billing.credit_ledger WHERE user_id = '$jobs_user' GROUP BY kind) k")
[ "$ledger" = "adjustment=1 capture=$held hold=$held" ] || fail "the jobs user's ledger rows: $ledger ($held jobs)"
check_invariants
echo "webhook-storm: OK sent=$(field sent) distinct=$(field distinct) processed=$(field processed)" \
  "failed=$(field failed) ignored=$(field ignored) rejected=$(field rejected) seconds=$((SECONDS - started))" \
  "(storm $(field storm_seconds) s, $(field sessions) sessions, $(field out_of_order) refunds before their payment," \
  "$(field refunds_after) after, $held jobs succeeded once each, seed $seed)"
