-- Idempotent bootstrap of one Metered database: the owner roles (cluster-wide) and one schema
-- per owner. Run as a superuser while connected to the Metered database (bin/db-bootstrap
-- creates the database first). Each service then migrates its own schema with Flyway.
-- Passwords are not set here: bin/db-bootstrap sets them from the environment when given.

DO $$
DECLARE
  owner_role text;
BEGIN
  FOREACH owner_role IN ARRAY ARRAY['metered_auth', 'metered_billing', 'metered_jobs',
                                    'metered_worker', 'metered_ops'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = owner_role) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', owner_role);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- a concurrent bootstrap (e.g. a parallel test run) created it first
      END;
    END IF;
  END LOOP;
END
$$;

-- Only the Metered roles may connect; nobody may create objects in public.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO metered_auth, metered_billing, '
                 'metered_jobs, metered_worker, metered_ops', current_database());
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION metered_auth;
CREATE SCHEMA IF NOT EXISTS billing AUTHORIZATION metered_billing;
CREATE SCHEMA IF NOT EXISTS jobs AUTHORIZATION metered_jobs;
CREATE SCHEMA IF NOT EXISTS worker AUTHORIZATION metered_worker;
CREATE SCHEMA IF NOT EXISTS ops AUTHORIZATION metered_ops;

-- A schema's objects are reachable only through the grants its owner's migrations give.
REVOKE ALL ON SCHEMA auth, billing, jobs, worker, ops FROM PUBLIC;
