#!/usr/bin/env bash
# The backup and restore scripts end to end: bin/backup-postgres, bin/verify-backup-restore and
# bin/restore-postgres against real PostgreSQL, in databases of the test's own.
#
#   tests/backup/run.sh                  a fresh database: bin/db-bootstrap, the five services'
#                                        own Flyway migrations (their jars, QUARKUS_INIT_AND_EXIT)
#                                        and realistic rows (tests/backup/seed.sql)
#   tests/backup/run.sh --database NAME  an existing migrated database on the same server instead
#                                        (bin/test's end-to-end one): only read, never written
#
# Backup -> verify (must pass) -> verify against a tampered manifest (must fail) -> restore into
# a second database holding junk, refused without --reset-public-schema and with it but without
# --yes, refused for a corrupted dump, done with --reset-public-schema --yes (must then equal the
# source: row counts, ledger sums, balances, owners and grants, and, for the test's own database,
# every row and sequence) -> a backup taken while a writer keeps committing (verify must pass:
# the manifest is read in the dump's snapshot). Every database it creates is dropped at the end,
# failed or not. Prints PASS or FAIL; exits non-zero on failure.
#
# Environment: METERED_TEST_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/postgres), a
# superuser's URL of the server; METERED_DB_PASSWORD (else .run/secrets.env) for the services'
# roles when the server checks passwords (bin/db-bootstrap sets it, cluster-wide, when given);
# BACKUP_TEST_APPS_DIR: a directory with <service>/quarkus-app/ to migrate with instead of
# <service>/target/quarkus-app/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
test_name=backup-test
schemas="'auth', 'billing', 'jobs', 'worker', 'ops'"

usage_error() { echo "$test_name: $*" >&2; sed -n '5,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

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
verify_dbs=()       # temporary databases bin/verify-backup-restore reported; must be gone

# Records the temporary database a verify run used, and fails unless it was dropped.
verify_db_gone() {
  local db
  db="$(sed -n 's/.*into the temporary database \([A-Za-z0-9_]*\).*/\1/p' "$work/$1.log" | head -n1)"
  [ -n "$db" ] || fail "$1: no temporary database named in its output" "$work/$1.log"
  verify_dbs+=("$db")
  [ "$(psql_at postgres -v db="$db" <<< "SELECT count(*) FROM pg_database WHERE datname = :'db';")" = 0 ] ||
    fail "$1: the temporary database $db is still there"
}

# The test's own reading of a database, independent of the scripts': kind<TAB>key<TAB>value.
facts() { # facts DATABASE
  psql_at "$1" <<SQL | LC_ALL=C sort
SELECT format('SELECT ''rows'', %L, count(*) FROM %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ($schemas) AND c.relkind = 'r' \gexec
SELECT 'ledger_sum', user_id, sum(amount) FROM billing.credit_ledger GROUP BY user_id;
SELECT 'balance', user_id, balance FROM billing.accounts;
SQL
}

# Every row of every table and every sequence's position, as md5 per object.
content() { # content DATABASE
  psql_at "$1" <<SQL | LC_ALL=C sort
SELECT format('SELECT %L, md5(coalesce(string_agg(t::text, E''\\n'' ORDER BY t::text), '''')) FROM %I.%I t',
              n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ($schemas) AND c.relkind = 'r' \gexec
SELECT format('SELECT %L, last_value || '':'' || is_called FROM %I.%I', n.nspname || '.' || c.relname,
              n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ($schemas) AND c.relkind = 'S' \gexec
SQL
}

# Owners, grants, default privileges, triggers and comments of the five schemas and the database
# (an ACL equal to the default counts as the default: pg_dump, rightly, writes neither).
structure() { # structure DATABASE
  psql_at "$1" <<SQL | LC_ALL=C sort
SELECT 'schema', nspname, pg_get_userbyid(nspowner), coalesce(nspacl, acldefault('n', nspowner))::text, coalesce(obj_description(oid, 'pg_namespace'), '')
  FROM pg_namespace WHERE nspname IN ($schemas, 'public');
SELECT 'relation', n.nspname || '.' || c.relname, c.relkind, pg_get_userbyid(c.relowner), coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ($schemas, 'public');
SELECT 'function', p.oid::regprocedure::text, pg_get_userbyid(p.proowner), coalesce(p.proacl, acldefault('f', p.proowner))::text, p.prosecdef
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ($schemas, 'public');
SELECT 'default acl', pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype, d.defaclacl::text
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace;
SELECT 'trigger', t.tgrelid::regclass::text, t.tgname, t.tgenabled
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND n.nspname IN ($schemas);
SELECT 'database acl', datacl::text FROM pg_database WHERE datname = current_database();
SQL
}

same() { # same WHAT FILE_A FILE_B
  if ! diff -u "$2" "$3" > "$work/diff.log"; then fail "$1" "$work/diff.log"; fi
  ok "$1 ($(wc -l < "$2" | tr -d ' ') lines)"
}

# ---- 0. usage errors: exit 2 and a clear message, before touching anything
say "usage errors"
for script in backup-postgres restore-postgres verify-backup-restore; do
  expect 2 "usage-$script-bogus" "$root/bin/$script" --bogus
  log_has "usage-$script-bogus" "unknown argument: --bogus" "no clear message"
done
for script in restore-postgres verify-backup-restore; do
  expect 2 "usage-$script-missing" "$root/bin/$script" --backup "$work/no-such.dump"
  log_has "usage-$script-missing" "no such backup file" "no clear message"
  expect 2 "usage-$script-none" "$root/bin/$script"
  log_has "usage-$script-none" "--backup FILE is required" "no clear message"
done
expect 2 usage-backup-dir "$root/bin/backup-postgres" --database-url "$server/postgres" --output "$work/no/such/dir/x.dump"
log_has usage-backup-dir "no such directory" "no clear message"
expect 2 usage-backup-url "$root/bin/backup-postgres" --database-url mysql://x/y --output "$work/x.dump"
log_has usage-backup-url "not a postgresql:// URL" "no clear message"
ok "every script: unknown arguments, missing files and bad URLs are usage errors (exit 2)"

# ---- 1. the source database
if [ -n "$existing" ]; then
  source_db="$existing"
  [ "$(psql_at postgres -v db="$source_db" <<< "SELECT count(*) FROM pg_database WHERE datname = :'db';")" = 1 ] ||
    fail "no database $source_db on ${server##*@}"
  [ "$(psql_at "$source_db" -c "SELECT to_regclass('billing.credit_ledger') IS NOT NULL")" = t ] ||
    fail "$source_db is not a migrated Metered database (no billing.credit_ledger)"
  say "source: the existing database $source_db (read only)"
else
  source_db="metered_backup_test_$stamp"
  say "source: a new database $source_db (bootstrap, the services' migrations, seed)"
  new_migrated_database "$source_db" "${BACKUP_TEST_APPS_DIR:-}"
  expect 0 seed psql -X -q -v ON_ERROR_STOP=1 -d "$server/$source_db" -f "$root/tests/backup/seed.sql"
  [ "$(psql_at "$source_db" -c 'SELECT count(*) FROM billing.ledger_drift')" = 0 ] || fail "the seed left ledger drift"
  ok "seeded users, ledger rows, jobs (succeeded, dead, queued), webhook events, heartbeats, audit log"
fi
source_url="$server/$source_db"

# ---- 2. backup
say "backup"
dump="$work/metered.dump"
expect 0 backup "$root/bin/backup-postgres" --database-url "$source_url" --output "$dump"
[ -f "$dump" ] && [ -f "$dump.manifest" ] || fail "backup: no dump or no manifest" "$work/backup.log"
for file in "$dump" "$dump.manifest"; do
  [ "$(stat -c %a "$file")" = 600 ] || fail "backup: $file is mode $(stat -c %a "$file"), not 600"
done
[ -z "$(find "$work" -maxdepth 1 -name '*.partial.*')" ] || fail "backup: left temporary files"
sha="$(sha256sum "$dump" | cut -d' ' -f1)"
grep -q "^meta	sha256	$sha\$" "$dump.manifest" || fail "backup: the manifest's sha256 is not the dump's" "$dump.manifest"
log_has backup "$sha" "the sha256 is not printed"
pg_restore --list "$dump" > "$work/toc" || fail "backup: not a custom-format archive"
for schema in "${services[@]}"; do
  grep -q "TABLE DATA $schema flyway_schema_history" "$work/toc" || fail "backup: no Flyway history of $schema in the dump"
done
ok "backup: custom-format dump with the five Flyway histories, manifest beside it, both mode 600, sha256 printed"
grep -E '^(rows|ledger_sum|balance)	' "$dump.manifest" | LC_ALL=C sort > "$work/manifest.facts"
facts "$source_db" > "$work/source.facts"
if [ -z "$existing" ]; then
  same "manifest = the source's row counts, ledger sums and balances" "$work/manifest.facts" "$work/source.facts"
else
  [ "$(grep -c '^rows' "$work/manifest.facts")" = "$(grep -c '^rows' "$work/source.facts")" ] ||
    fail "manifest: not every table of the source has a row count" "$dump.manifest"
  ok "manifest: a row count for each of the source's $(grep -c '^rows' "$work/source.facts") tables"
fi

# ---- 3. verify, and verify against a tampered manifest
say "verify"
expect 0 verify "$root/bin/verify-backup-restore" --backup "$dump" --database-url "$source_url"
log_has verify "^verify-backup-restore: OK: all [0-9]+ checks match" "no OK line"
log_has verify "^ledger sum per user .* OK$" "the ledger sums were not compared"
log_has verify "^restored: accounts whose balance = SUM\(ledger\) .* OK$" "balances were not checked against the ledger"
verify_db_gone verify
ok "verify: the restored copy matches the manifest, and its temporary database is dropped"

tampered="$work/tampered.dump"
cp "$dump" "$tampered"
awk -F'\t' -v OFS='\t' '$1 == "ledger_sum" && !done { $3 = $3 + 1; done = 1 } { print }' \
  "$dump.manifest" > "$tampered.manifest"
cmp -s "$dump.manifest" "$tampered.manifest" && fail "tamper: the source has no ledger rows to tamper with"
expect 1 verify-tampered "$root/bin/verify-backup-restore" --backup "$tampered" --database-url "$source_url"
log_has verify-tampered "^  ledger_sum [0-9a-f-]+ .* DIFF$" "the tampered user is not shown"
log_has verify-tampered "FAIL: 1 of [0-9]+ checks differ" "no FAIL line"
verify_db_gone verify-tampered
ok "verify: a manifest whose ledger sum was edited fails (exit 1), naming the user"

# ---- 4. restore into a second database
say "restore"
target_db="metered_backup_test_${stamp}_restore"
created+=("$target_db")
target_url="$server/$target_db"
psql_at postgres -v db="$target_db" <<< 'CREATE DATABASE :"db";'
psql_at "$target_db" <<'SQL'
CREATE TABLE public.junk (note text);
INSERT INTO public.junk VALUES ('left over');
CREATE SCHEMA billing;
CREATE TABLE billing.credit_ledger (junk text);
INSERT INTO billing.credit_ledger VALUES ('not a ledger');
SQL
junk_there() {
  [ "$(psql_at "$target_db" -c "SELECT to_regclass('public.junk') IS NOT NULL AND (SELECT count(*) = 1 FROM public.junk)")" = t ] ||
    fail "$1: the junk is gone"
}

expect 1 restore-no-flag "$root/bin/restore-postgres" --backup "$dump" --database-url "$target_url"
log_has restore-no-flag "already holds Metered objects" "no clear refusal"
junk_there "a refused restore"
ok "restore: refused onto a database holding other objects, without --reset-public-schema"

corrupt="$work/corrupt.dump"
cp "$dump" "$corrupt"
cp "$dump.manifest" "$corrupt.manifest"
printf 'X' | dd of="$corrupt" bs=1 seek=$(($(stat -c %s "$corrupt") / 2)) conv=notrunc status=none
expect 1 restore-corrupt "$root/bin/restore-postgres" --backup "$corrupt" --database-url "$target_url" \
  --reset-public-schema --yes
log_has restore-corrupt "does not match its manifest" "no clear refusal"
junk_there "a corrupted dump's restore"
ok "restore: a dump that does not match its manifest's sha256 is refused before anything is dropped"

# the runbook's command as a script runs it (no terminal, no --yes), with a service still connected
host_port="${server#*://}"
host_port="${host_port##*@}"
psql -X -q -d "postgresql://metered_billing${METERED_DB_PASSWORD:+:$METERED_DB_PASSWORD}@$host_port/$target_db" \
  -c 'SELECT pg_sleep(60)' > /dev/null 2>&1 &
connected=$!
for _ in $(seq 50); do
  [ "$(psql_at postgres -v db="$target_db" <<< "SELECT count(*) FROM pg_stat_activity WHERE datname = :'db' AND usename = 'metered_billing'")" = 1 ] && break
  sleep 0.1
done
expect 0 restore "$root/bin/restore-postgres" --backup "$dump" --database-url "$target_url" --reset-public-schema
wait "$connected" 2>/dev/null || true
log_has restore "disconnecting the Metered services' sessions" "the connected session was not named and disconnected"
[ "$(psql_at "$target_db" -c "SELECT to_regclass('public.junk') IS NULL")" = t ] || fail "restore: public.junk survived"
facts "$target_db" > "$work/target.facts"
same "restored: row counts, ledger sums and balances = the manifest" "$work/manifest.facts" "$work/target.facts"
structure "$source_db" > "$work/source.structure"
structure "$target_db" > "$work/target.structure"
same "restored: owners, grants, default privileges, triggers, comments = the source" \
  "$work/source.structure" "$work/target.structure"
if [ -z "$existing" ]; then
  content "$source_db" > "$work/source.content"
  content "$target_db" > "$work/target.content"
  same "restored: every row of every table and every sequence = the source" "$work/source.content" "$work/target.content"
fi
# The restored copy works as the services use it: the ledger stays append-only, new rows get
# fresh ids, and metered_ops reads billing only through its views.
psql_at "$target_db" > "$work/usable.log" 2>&1 <<'SQL' || fail "restored: not usable as the services use it" "$work/usable.log"
DO $$
DECLARE
    someone uuid := (SELECT user_id FROM billing.accounts LIMIT 1);
BEGIN
    BEGIN
        UPDATE billing.credit_ledger SET amount = amount;
        IF FOUND THEN RAISE EXCEPTION 'the ledger accepted an UPDATE'; END IF;
    EXCEPTION WHEN SQLSTATE 'MB403' THEN NULL;
    END;
    IF someone IS NOT NULL THEN
        PERFORM billing.topup(someone, 1, 'backup-test-after-restore', NULL);
        RAISE EXCEPTION USING ERRCODE = 'BT000', MESSAGE = 'roll back';
    END IF;
EXCEPTION WHEN SQLSTATE 'BT000' THEN NULL;
END
$$;
BEGIN;
SET LOCAL ROLE metered_ops;
SELECT count(*) FROM billing.ops_accounts;
SELECT CASE WHEN has_table_privilege('billing.accounts', 'SELECT') THEN 'ops reads billing.accounts' END;
ROLLBACK;
SQL
! grep -q 'ops reads billing.accounts' "$work/usable.log" || fail "restored: metered_ops may read billing.accounts"
ok "restored: the ledger refuses UPDATE, a top-up gets a fresh id, metered_ops has its views and no more"

psql_at "$target_db" -c 'SELECT count(*) FROM billing.credit_ledger' > "$work/ledger.before"
expect 1 restore-again "$root/bin/restore-postgres" --backup "$dump" --database-url "$target_url"
log_has restore-again "already holds Metered objects" "no clear refusal"
log_has restore-again "--reset-public-schema" "the refusal does not name the way out"
psql_at "$target_db" -c 'SELECT count(*) FROM billing.credit_ledger' | cmp -s - "$work/ledger.before" ||
  fail "restore-again: the refused restore changed the ledger"
ok "restore: refused onto the restored (non-empty) database without --reset-public-schema, nothing changed"

# ---- 5. a backup taken while a writer keeps committing (only in the test's own database)
if [ -z "$existing" ]; then
  say "backup under concurrent writes"
  writer_app="backup-test-writer-$$"
  writer_user="$(psql_at "$source_db" -c 'SELECT gen_random_uuid()')"
  PGAPPNAME="$writer_app" psql -X -q -d "$source_url" > "$work/writer.log" 2>&1 <<SQL &
DO \$\$
BEGIN
    FOR i IN 1..6000 LOOP
        PERFORM billing.topup('$writer_user', 1, 'backup-test-writer-' || i, NULL);
        INSERT INTO ops.audit_log (method, path, action, outcome, duration_ms)
        VALUES ('POST', '/api/ops/test', 'backup-test.write', 200, i);
        COMMIT;
        PERFORM pg_sleep(0.005);
    END LOOP;
END
\$\$;
SQL
  writer_pid=$!
  pids+=("$writer_pid")
  ledger_of_writer() { psql_at "$source_db" -c "SELECT count(*) FROM billing.credit_ledger WHERE user_id = '$writer_user'"; }
  for _ in $(seq 100); do
    [ "$(ledger_of_writer)" -ge 20 ] && break
    sleep 0.1
  done
  [ "$(ledger_of_writer)" -ge 20 ] || fail "the writer does not write" "$work/writer.log"
  busy="$work/busy.dump"
  expect 0 backup-busy "$root/bin/backup-postgres" --database-url "$source_url" --output "$busy"
  kill -0 "$writer_pid" 2>/dev/null || fail "the writer stopped before the backup ended" "$work/writer.log"
  psql_at "$source_db" -v app="$writer_app" \
    <<< "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :'app';" > /dev/null
  wait "$writer_pid" 2>/dev/null || true
  pids=()
  in_manifest="$(awk -F'\t' -v u="$writer_user" '$1 == "ledger_sum" && $2 == u { print $3 }' "$busy.manifest")"
  now_live="$(psql_at "$source_db" -c "SELECT sum(amount) FROM billing.credit_ledger WHERE user_id = '$writer_user'")"
  [ -n "$in_manifest" ] && [ "$in_manifest" -gt 0 ] && [ "$now_live" -gt "$in_manifest" ] ||
    fail "the writer did not write both before and after the snapshot (manifest ${in_manifest:-none}, now $now_live)"
  expect 0 verify-busy "$root/bin/verify-backup-restore" --backup "$busy" --database-url "$source_url"
  log_has verify-busy "^verify-backup-restore: OK: all [0-9]+ checks match" "no OK line"
  verify_db_gone verify-busy
  ok "busy backup: the writer committed throughout (${in_manifest} credits in the snapshot, $now_live by the end); verify passes"
fi

# ---- 6. nothing left behind (the EXIT trap drops the test's databases)
for db in "${verify_dbs[@]}"; do
  [ "$(psql_at postgres -v db="$db" <<< "SELECT count(*) FROM pg_database WHERE datname = :'db';")" = 0 ] ||
    fail "the temporary database $db is left behind"
done
ok "no temporary database of bin/verify-backup-restore is left"
