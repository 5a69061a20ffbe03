package dev.metered.jobs.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.metered.jobs.Job;
import dev.metered.jobs.config.Pricing;
import dev.metered.jobs.repository.JobRepository;
import dev.metered.runtime.json.StorableText;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

@ApplicationScoped
public class JobService {

    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final int MAX_INPUT_CHARS = 64 * 1024;

    /** A submission's answer: the job, and whether this call created it (201) or found it (200). */
    public record Submission(Job job, boolean created) {
    }

    private final JobRepository jobs;
    private final Pricing pricing;
    private final JobMetrics metrics;
    private final int maxAttempts;

    public JobService(JobRepository jobs, Pricing pricing, JobMetrics metrics,
                      @ConfigProperty(name = "jobs.max-attempts") int maxAttempts) {
        this.jobs = jobs;
        this.pricing = pricing;
        this.metrics = metrics;
        this.maxAttempts = maxAttempts;
    }

    /**
     * One job and one hold per (user, key): a repeat with the same type and input gets the job
     * back, another request under the key is 409. Without any key every call is a new job.
     */
    public Uni<Submission> submit(UUID userId, String headerKey, String bodyKey, String type, JsonNode input) {
        String key = idempotencyKey(headerKey, bodyKey);
        long cost = pricing.costOf(type).orElseThrow(() -> ProblemException.invalidField("type",
                "must be one of " + pricing.types()));
        if (input == null || !input.isObject()) {
            throw ProblemException.invalidField("input", "must be a JSON object");
        }
        if (!StorableText.isStorable(input)) {
            throw ProblemException.invalidField("input", "contains U+0000 or an unpaired surrogate");
        }
        String inputJson = input.toString();
        if (inputJson.length() > MAX_INPUT_CHARS) {
            throw ProblemException.invalidField("input", "must be at most " + MAX_INPUT_CHARS + " characters of JSON");
        }
        // the repository's Uni completes after the commit (or the rollback): count only then
        return jobs.submit(userId, type, inputJson, cost, maxAttempts, key)
                .onFailure(JobService::insufficientCredits).transform(failure -> {
                    metrics.refused(type, "insufficient_credits");
                    return ProblemException.paymentRequired(
                            "The balance does not cover the " + cost + " credits this job costs.");
                })
                .map(submitted -> {
                    if (!submitted.sameRequest()) {
                        metrics.refused(type, "idempotency_key_reused");
                        throw ProblemException.conflict("urn:metered:problem:idempotency-key-reused",
                                "This idempotency key was used for a different job.");
                    }
                    if (submitted.created()) {
                        metrics.submitted(type);
                    } else {
                        metrics.replayed(type);
                    }
                    return new Submission(submitted.job(), submitted.created());
                });
    }

    public Uni<Job> find(UUID userId, String id) {
        UUID jobId = parseId(id);
        return jobId == null ? Uni.createFrom().failure(notFound()) : jobs.find(jobId, userId).map(job -> {
            if (job == null) {
                throw notFound();
            }
            return job;
        });
    }

    public Uni<List<Job>> page(UUID userId, String status, String type, OffsetDateTime beforeCreatedAt, UUID beforeId,
                               int limit) {
        if (status != null && !Job.STATUSES.contains(status)) {
            throw ProblemException.invalidField("status", "must be one of " + Job.STATUSES);
        }
        return jobs.page(userId, status, type, beforeCreatedAt, beforeId, limit);
    }

    /** Cancelling a cancelled job again answers as the first time; a job past queued is 409. */
    public Uni<Job> cancel(UUID userId, String id) {
        UUID jobId = parseId(id);
        if (jobId == null) {
            return Uni.createFrom().failure(notFound());
        }
        return jobs.cancel(jobId, userId).map(outcome -> {
            if (outcome.cancelled()) {
                metrics.cancelled();
            }
            if (outcome.job() == null) {
                throw notFound();
            }
            if (!outcome.cancelled() && !outcome.job().status().equals("cancelled")) {
                throw ProblemException.conflict("urn:metered:problem:job-not-queued",
                        "The job is " + outcome.job().status() + "; only a queued job can be cancelled.");
            }
            return outcome.job();
        });
    }

    private static String idempotencyKey(String headerKey, String bodyKey) {
        if (headerKey != null && bodyKey != null && !headerKey.equals(bodyKey)) {
            throw ProblemException.invalidField("idempotency_key", "differs from the Idempotency-Key header");
        }
        String key = headerKey != null ? headerKey : bodyKey;
        if (key == null) {
            return "generated:" + UUID.randomUUID();
        }
        if (!IDEMPOTENCY_KEY.matcher(key).matches() || key.startsWith("generated:")) {
            throw ProblemException.invalidField(headerKey != null ? "Idempotency-Key" : "idempotency_key",
                    "must be 1 to 255 visible ASCII characters");
        }
        return key;
    }

    private static boolean insufficientCredits(Throwable failure) {
        return failure instanceof PgException pg && "MB402".equals(pg.getSqlState());
    }

    private static UUID parseId(String id) {
        try {
            return id != null && id.length() == 36 ? UUID.fromString(id) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static ProblemException notFound() {
        return ProblemException.notFound("No such job.");
    }
}
