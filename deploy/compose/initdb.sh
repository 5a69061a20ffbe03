#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty volume: the same roles and
# schemas bin/db-bootstrap creates, with METERED_DB_PASSWORD as every metered_* role's password.
set -euo pipefail
psql -X -q -v ON_ERROR_STOP=1 -U postgres -d metered -f /metered/bootstrap.sql
psql -X -q -v ON_ERROR_STOP=1 -U postgres -d metered -v pw="$METERED_DB_PASSWORD" <<'SQL'
SELECT format('ALTER ROLE %I PASSWORD %L', r, :'pw')
FROM unnest(ARRAY['metered_auth', 'metered_billing', 'metered_jobs', 'metered_worker', 'metered_ops']) AS r
\gexec
SQL
