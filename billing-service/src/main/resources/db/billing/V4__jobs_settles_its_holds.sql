-- jobs.complete captures a job's hold in the same transaction that marks it succeeded
-- (and jobs.fail releases it), so jobs-service's functions need capture as well as release.
GRANT EXECUTE ON FUNCTION billing.capture(text) TO metered_jobs;
