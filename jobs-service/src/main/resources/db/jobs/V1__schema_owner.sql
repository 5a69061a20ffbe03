COMMENT ON SCHEMA jobs IS 'Owned by jobs-service: jobs, their queue state and dead letters.';
