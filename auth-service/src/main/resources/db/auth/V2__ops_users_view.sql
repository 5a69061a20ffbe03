-- ops-service checks that a user exists before adjusting their credits, and finds a user by the
-- email a support ticket names. Nothing secret is in the view.
CREATE VIEW auth.ops_users AS
SELECT id AS user_id, email, created_at FROM auth.users;

GRANT USAGE ON SCHEMA auth TO metered_ops;
GRANT SELECT ON auth.ops_users TO metered_ops;
