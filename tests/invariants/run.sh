#!/usr/bin/env bash
# bin/check-invariants against real PostgreSQL: it passes on a healthy database and fails, naming
# the check, on each invariant broken on purpose.
#
#   tests/invariants/run.sh                  a fresh database of the test's own: bin/db-bootstrap,
#                                            the five services' Flyway migrations (their jars, copied
#                                            first, QUARKUS_INIT_AND_EXIT), tests/backup/seed.sql and
#                                            tests/invariants/seed.sql
#   tests/invariants/run.sh --database NAME  only the positive check (and a snapshot recorded and
#                                            verified) against an existing database on the same server
#
# Own database: usage errors (exit 2) -> every check OK, a snapshot recorded and verified, rows
# appended after it accepted -> the lease tolerance (--stale-seconds) -> a snapshot recorded while a
# ledger transaction is in flight -> each invariant broken, as a superuser, in a copy of the seeded
# database (CREATE DATABASE ... TEMPLATE): the check must exit 1 and fail exactly the checks that
# case breaks. Every database it creates is dropped at the end, failed or not. Prints PASS or FAIL.
#
# Environment: METERED_TEST_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/postgres), a
# superuser's URL of the server; METERED_DB_PASSWORD (else .run/secrets.env) for the services'
# roles when the server checks passwords; INVARIANTS_TEST_APPS_DIR: a directory with
# <service>-service/quarkus-app/ to migrate with instead of <service>-service/target/quarkus-app/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
test_name=invariants-test
check="$root/bin/check-invariants"

usage_error() { echo "$test_name: $*" >&2; sed -n '5,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

existing=""
while [ $# -gt 0 ]; do
  case "$1" in
    --database) [ $# -ge 2 ] && [ -n "$2" ] || usage_error "--database needs a name"; existing="$2"; shift 2 ;;
    --database=*) existing="${1#*=}"; shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

# shellcheck source=tests/lib/database-test.sh
source "$root/tests/lib/database-test.sh"

# The ids of the checks a run failed, sorted, space-separated.
failed_checks() { sed -n 's/^FAIL  \([0-9][a-z]\) .*/\1/p' "$work/$1.log" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }

# A run that must pass every check (exit 0, no FAIL line, every check printed).
expect_all_ok() { # expect_all_ok NAME CHECK-ARGUMENTS...
  local name="$1"
  shift
  expect 0 "$name" "$check" "$@"
  log_has "$name" '^check-invariants: OK: all [0-9]+ checks hold$' "no OK summary"
  ! grep -q '^FAIL' "$work/$name.log" || fail "$name: a FAIL line in a passing run" "$work/$name.log"
  for id in 1a 1b 2a 2b 3a 3b 3c 3d 3e 3f 4a 4b 5a 5b 5c 5d 6b; do
    grep -Eq "^OK +$id " "$work/$name.log" || fail "$name: check $id is not reported OK" "$work/$name.log"
  done
}

# ---- 0. usage errors: exit 2 and a clear message, before touching any database
say "usage errors"
expect 2 usage-bogus "$check" --bogus
log_has usage-bogus "unknown argument: --bogus" "no clear message"
expect 2 usage-url "$check" --database-url mysql://x/y
log_has usage-url "not a postgresql:// URL" "no clear message"
expect 2 usage-stale "$check" --stale-seconds soon
log_has usage-stale "--stale-seconds must be a whole number" "no clear message"
expect 2 usage-snapshot "$check" --snapshot "$work/no-such.snapshot"
log_has usage-snapshot "no such snapshot file" "no clear message"
printf 'meta\tformat\t1\nledger\tmax_id\tlots\n' > "$work/bad.snapshot"
expect 2 usage-bad-snapshot "$check" --snapshot "$work/bad.snapshot"
log_has usage-bad-snapshot "malformed" "no clear message"
expect 2 usage-record-dir "$check" --record-snapshot "$work/no/such/dir/x.snapshot"
log_has usage-record-dir "no such directory" "no clear message"
expect 3 not-metered "$check" --database-url "$server/postgres"
log_has not-metered "not a migrated Metered database" "no clear message"
ok "unknown arguments, bad URLs, numbers and snapshot files are usage errors (exit 2); a database that is not Metered's exits 3"

# ---- --database NAME: the positive check only, read-only
if [ -n "$existing" ]; then
  [ "$(psql_at postgres -v db="$existing" <<< "SELECT count(*) FROM pg_database WHERE datname = :'db';")" = 1 ] ||
    fail "no database $existing on ${server##*@}"
  say "the existing database $existing (read only)"
  expect_all_ok existing-ok --database-url "$server/$existing" --record-snapshot "$work/existing.snapshot"
  ok "every check holds on $existing, and a snapshot of its ledger was recorded"
  expect_all_ok existing-snapshot --database-url "$server/$existing" --snapshot "$work/existing.snapshot"
  log_has existing-snapshot '^OK +6a ' "the snapshot was not verified"
  ok "the ledger of $existing still matches the snapshot"
  exit 0
fi

# ---- 1. a database of the test's own, migrated by the services' jars and seeded
db="metered_invariants_test_$stamp"
db_url="$server/$db"
say "a new database $db (bootstrap, the services' migrations, seed)"
new_migrated_database "$db" "${INVARIANTS_TEST_APPS_DIR:-}"
expect 0 seed psql -X -q -v ON_ERROR_STOP=1 -d "$db_url" -f "$root/tests/backup/seed.sql" -f "$root/tests/invariants/seed.sql"
ok "seeded: top-ups with their events and sessions, a refund, a dispute below zero, jobs in every state, a requeued dead letter"

# ---- 2. the healthy database
say "the seeded database passes"
snapshot="$work/ledger.snapshot"
expect_all_ok healthy --database-url "$db_url" --record-snapshot "$snapshot"
log_has healthy '^SKIP +6a ' "6a is not reported as skipped without --snapshot"
log_has healthy 'REPEATABLE READ READ ONLY' "the one snapshot is not named"
[ "$(stat -c %a "$snapshot")" = 600 ] || fail "the snapshot file is mode $(stat -c %a "$snapshot"), not 600"
ledger_rows="$(psql_at "$db" -c 'SELECT count(*) FROM billing.credit_ledger')"
grep -q "^ledger	rows	$ledger_rows\$" "$snapshot" || fail "the snapshot does not count the $ledger_rows ledger rows" "$snapshot"
ok "every check holds on the seeded database; the snapshot (mode 600) counts its $ledger_rows ledger rows"
[ "$(psql_at "$db" -c "SELECT count(*) FROM billing.accounts WHERE balance < 0")" = 1 ] ||
  fail "the seed has no account below zero (dee's dispute)"
ok "an account below zero through a dispute, a running job whose lease expired a minute ago: accepted"
expect_all_ok healthy-snapshot --database-url "$db_url" --snapshot "$snapshot"
log_has healthy-snapshot '^OK +6a ' "the snapshot was not verified"
ok "the seeded ledger matches its snapshot (6a)"
[ "$(psql_at "$db" -c 'SELECT count(*) FROM billing.credit_ledger')" = "$ledger_rows" ] || fail "the checks changed the ledger"

# the lease tolerance: the job whose lease expired a minute ago is a violation only with less
expect 1 stale-30 "$check" --database-url "$db_url" --stale-seconds 30
[ "$(failed_checks stale-30)" = 4a ] || fail "--stale-seconds 30: failed '$(failed_checks stale-30)', expected '4a'" "$work/stale-30.log"
log_has stale-30 'leased to inv-worker until .* expired [0-9]+ s ago' "the job is not shown"
ok "--stale-seconds 30 makes the lease that expired a minute ago a violation of 4a; the default 300 does not"

# Each case below runs in a copy of the seeded database; nobody may be connected to a template.
copy_of_seeded() { # copy_of_seeded NAME: creates the database $work_db
  work_db="${db}_$1"
  created+=("$work_db")
  psql_at postgres -v db="$work_db" -v template="$db" <<< 'CREATE DATABASE :"db" TEMPLATE :"template";'
}
drop_copy() {
  psql_at postgres -v db="$work_db" <<< 'DROP DATABASE :"db" WITH (FORCE);'
  unset 'created[-1]'
}

# appended rows are what the ledger is for: the snapshot still holds
copy_of_seeded append
psql_at "$work_db" > /dev/null <<'SQL'
SELECT billing.adjust((SELECT id FROM auth.users WHERE email = 'bob@example.test'), 3, 'after the snapshot',
                      'invariants-append', 'invariants-test');
SQL
expect_all_ok append --database-url "$server/$work_db" --snapshot "$snapshot"
log_has append '^OK +6a ' "the snapshot was not verified"
drop_copy
ok "rows appended after the snapshot do not violate it (6a)"

# ---- 3. a snapshot recorded while a ledger transaction is in flight: its row has a smaller id than
# a row committed after it, so it commits "into" the snapshot's id range after the snapshot. The
# recording must wait for it, or the next --snapshot would count a row more than it recorded.
say "a snapshot recorded while a ledger transaction is in flight"
copy_of_seeded inflight
PGAPPNAME=invariants-test-inflight psql -X -q -v ON_ERROR_STOP=1 -d "$server/$work_db" > "$work/inflight-tx.log" 2>&1 <<'SQL' &
BEGIN;
SELECT billing.adjust((SELECT id FROM auth.users WHERE email = 'ada@example.test'), 1, 'in flight',
                      'invariants-inflight-a', 'invariants-test');
SELECT pg_sleep(3);
COMMIT;
SQL
pids+=($!)
for _ in $(seq 50); do
  [ "$(psql_at "$work_db" -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'invariants-test-inflight' AND backend_xid IS NOT NULL AND query LIKE '%pg_sleep%'")" = 1 ] && break
  sleep 0.1
done
psql_at "$work_db" > /dev/null <<'SQL'
SELECT billing.adjust((SELECT id FROM auth.users WHERE email = 'bob@example.test'), 1, 'committed first',
                      'invariants-inflight-b', 'invariants-test');
SQL
[ "$(psql_at "$work_db" -c "SELECT count(*) FROM billing.credit_ledger WHERE idempotency_key = 'admin:invariants-inflight-a'")" = 0 ] ||
  fail "the in-flight transaction committed too early"
expect 0 inflight-record "$check" --database-url "$server/$work_db" --record-snapshot "$work/inflight.snapshot"
log_has inflight-record 'waiting for [0-9]+ transaction' "the recording did not wait for the transaction in flight"
wait "${pids[0]}" || fail "the in-flight transaction failed" "$work/inflight-tx.log"
pids=()
inflight_max="$(awk -F'\t' '$1 == "ledger" && $2 == "max_id" { print $3 }' "$work/inflight.snapshot")"
[ "$(psql_at "$work_db" -c "SELECT id < $inflight_max FROM billing.credit_ledger WHERE idempotency_key = 'admin:invariants-inflight-a'")" = t ] ||
  fail "the in-flight row does not lie inside the snapshot's id range (the case tests nothing)"
expect_all_ok inflight-verify --database-url "$server/$work_db" --snapshot "$work/inflight.snapshot"
drop_copy
ok "the recording waited for the transaction in flight at its snapshot; the row it committed later is in the snapshot"

# ---- 4. each invariant broken on purpose, as a superuser, in a copy of the seeded database
say "each invariant broken"
# break_case NAME "EXPECTED FAILED CHECKS" WHAT <<SQL: the SQL breaks a copy; bin/check-invariants
# (with the snapshot) must exit 1 and fail exactly the expected checks, the first named first.
break_case() {
  local name="$1" expected="$2" what="$3" got
  copy_of_seeded "$name"
  psql_at "$work_db" > "$work/break-$name.log" 2>&1 || fail "$name: breaking the database failed" "$work/break-$name.log"
  expect 1 "$name" "$check" --database-url "$server/$work_db" --snapshot "$snapshot"
  log_has "$name" "^FAIL +${expected%% *} " "check ${expected%% *} is not named"
  log_has "$name" '^check-invariants: FAIL: ' "no FAIL summary"
  got="$(failed_checks "$name")"
  [ "$got" = "$(tr ' ' '\n' <<< "$expected" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" ] ||
    fail "$name: failed checks '$got', expected '$expected'" "$work/$name.log"
  drop_copy
  ok "$what: FAIL $expected"
}

break_case balance 1a "an account's balance changed by hand" <<'SQL'
UPDATE billing.accounts SET balance = balance + 1
 WHERE user_id = (SELECT id FROM auth.users WHERE email = 'bob@example.test');
SQL

break_case held 1b "an account's held credits changed by hand" <<'SQL'
UPDATE billing.accounts SET held = held + 5
 WHERE user_id = (SELECT id FROM auth.users WHERE email = 'ada@example.test');
SQL

# an adjustment written around billing.adjust, which refuses to overdraw (the trigger still moves
# the balance, so 1a holds)
break_case overdraw "2a 2b" "a negative adjustment below zero, inserted around billing.adjust" <<'SQL'
INSERT INTO billing.credit_ledger (user_id, amount, kind, idempotency_key, actor, reason)
SELECT id, -1000, 'adjustment', 'admin:overdraw', 'invariants-test', 'overdraw' FROM auth.users
 WHERE email = 'bob@example.test';
SQL

# a release that "settles" a top-up: the trigger takes the top-up's amount off held (1b)
break_case settles-no-hold "3a 1b" "a release settling a top-up instead of a hold" <<'SQL'
INSERT INTO billing.credit_ledger (user_id, amount, kind, idempotency_key, reference, settles)
SELECT user_id, 500, 'release', 'job:nothing:release', 'nothing', idempotency_key FROM billing.credit_ledger
 WHERE idempotency_key = 'stripe:evt_bob_1:topup';
SQL

# a second capture of a captured hold: the unique constraint and the account trigger set aside
# for the insert (a capture's amount is 0, so the balance is right either way)
break_case settled-twice "3b 3a 3d" "a hold captured twice (unique constraint dropped)" <<'SQL'
BEGIN;
ALTER TABLE billing.credit_ledger DROP CONSTRAINT credit_ledger_settles_key;
ALTER TABLE billing.credit_ledger DISABLE TRIGGER credit_ledger_moves_account;
INSERT INTO billing.credit_ledger (user_id, amount, kind, idempotency_key, reference, settles)
SELECT j.user_id, 0, 'capture', replace(j.hold_key, ':hold', ':capture') || ':again', j.id::text, j.hold_key
  FROM jobs.jobs j WHERE j.idempotency_key = 'job-1';
ALTER TABLE billing.credit_ledger ENABLE TRIGGER credit_ledger_moves_account;
COMMIT;
SQL

break_case job-without-hold 3c "a queued job inserted without its hold" <<'SQL'
INSERT INTO jobs.jobs (user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key)
SELECT id, 'echo', '{}', 7, 3, 'inv-no-hold', 'h', 'job:no-such-hold' FROM auth.users WHERE email = 'ada@example.test';
SQL

break_case dead-unreleased 3d "a queued job marked dead by hand, its hold never released" <<'SQL'
UPDATE jobs.jobs SET status = 'dead' WHERE idempotency_key = 'job-3';
SQL

break_case succeeded-released 3d "a cancelled (released) job marked succeeded by hand" <<'SQL'
UPDATE jobs.jobs SET status = 'succeeded' WHERE idempotency_key = 'inv-cancelled';
SQL

break_case letter-without-hold 3e "a dead letter marked requeued without its new hold" <<'SQL'
UPDATE jobs.job_dead_letters SET requeued_at = now()
 WHERE job_id = (SELECT id FROM jobs.jobs WHERE idempotency_key = 'inv-dead');
SQL

break_case hold-without-job 3f "a hold taken through billing.hold for a job that does not exist" <<'SQL'
SELECT billing.hold(u.id, 3, 'job:' || g.job || ':hold', g.job)
  FROM auth.users u, (SELECT gen_random_uuid() AS job) g WHERE u.email = 'ada@example.test';
SQL

break_case lease-expired 4a "a running job whose lease expired ten minutes ago" <<'SQL'
UPDATE jobs.jobs SET locked_until = now() - interval '10 minutes' WHERE idempotency_key = 'inv-running';
SQL

break_case lease-on-finished 4b "a lease left on a succeeded job (lease constraint dropped)" <<'SQL'
BEGIN;
ALTER TABLE jobs.jobs DROP CONSTRAINT jobs_lease_check;
UPDATE jobs.jobs SET locked_by = 'inv-worker', locked_until = now() + interval '5 minutes'
 WHERE idempotency_key = 'job-1';
COMMIT;
SQL

break_case paid-not-credited 5a "a processed paid checkout.session.completed whose session was never credited" <<'SQL'
INSERT INTO billing.checkout_sessions (user_id, idempotency_key, request_hash, credits, amount_cents, currency, status,
                                       stripe_session_id)
SELECT id, 'checkout-lost', 'h', 7, 700, 'usd', 'open', 'cs_test_lost' FROM auth.users WHERE email = 'ada@example.test';
INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at)
VALUES ('evt_lost', 'checkout.session.completed',
        '{"id": "evt_lost", "data": {"object": {"id": "cs_test_lost", "payment_status": "paid"}}}', 'processed', 1, now());
SQL

break_case refund-without-row 5b "a processed charge.refunded without its refund row" <<'SQL'
INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at)
VALUES ('evt_bob_refund', 'charge.refunded',
        '{"id": "evt_bob_refund", "data": {"object": {"id": "ch_bob_1", "payment_intent": "pi_bob_1",
          "amount": 500, "amount_refunded": 100}}}', 'processed', 1, now());
SQL

break_case clawback-forgotten "5c 5b" "a session's clawed_back reset by hand" <<'SQL'
UPDATE billing.checkout_sessions SET clawed_back = 0 WHERE stripe_session_id = 'cs_test_cy_1';
SQL

break_case topup-without-event 5d "a top-up through billing.topup with no webhook event" <<'SQL'
SELECT billing.topup(id, 5, 'evt_ghost', 'cs_ghost') FROM auth.users WHERE email = 'ada@example.test';
SQL

# the append-only trigger disabled for one transaction, then enabled again: only the snapshot sees it
break_case row-rewritten 6a "a ledger row's reason rewritten with the append-only trigger disabled in a transaction" <<'SQL'
BEGIN;
ALTER TABLE billing.credit_ledger DISABLE TRIGGER credit_ledger_append_only;
UPDATE billing.credit_ledger SET reason = 'rewritten' WHERE idempotency_key = 'admin:ticket-42';
ALTER TABLE billing.credit_ledger ENABLE TRIGGER credit_ledger_append_only;
COMMIT;
SQL

# a deleted release: its hold looks open again (1b: held, 3d: the dead job's hold)
break_case row-deleted "6a 1a 1b 3d" "a release row deleted with the append-only trigger disabled in a transaction" <<'SQL'
BEGIN;
ALTER TABLE billing.credit_ledger DISABLE TRIGGER credit_ledger_append_only;
DELETE FROM billing.credit_ledger
 WHERE settles = (SELECT hold_key FROM jobs.jobs WHERE idempotency_key = 'inv-dead');
ALTER TABLE billing.credit_ledger ENABLE TRIGGER credit_ledger_append_only;
COMMIT;
SQL

break_case trigger-disabled 6b "the append-only trigger left disabled" <<'SQL'
ALTER TABLE billing.credit_ledger DISABLE TRIGGER credit_ledger_append_only;
SQL
log_has trigger-disabled 'credit_ledger_append_only .*not enabled' "the disabled trigger is not named"

say "every case passed"
