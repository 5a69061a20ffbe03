COMMENT ON SCHEMA worker IS 'Owned by worker-service: worker heartbeats and recovery summaries.';
