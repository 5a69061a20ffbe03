COMMENT ON SCHEMA ops IS 'Owned by ops-service: queue-depth samples and the admin audit log.';
