package dev.metered.runtime.problem;

import java.util.List;
import java.util.Map;

/**
 * Thrown by resources and services to answer with a problem document. {@code type} is
 * {@code about:blank} for plain HTTP outcomes and a {@code urn:metered:problem:*} name for the
 * ones a client may want to tell apart (rate limits, insufficient credits, …).
 */
public class ProblemException extends RuntimeException {

    private final Problem problem;
    private final Map<String, String> headers;

    public ProblemException(Problem problem, Map<String, String> headers) {
        super(problem.title() + ": " + problem.detail(), null, false, false);
        this.problem = problem;
        this.headers = Map.copyOf(headers);
    }

    public ProblemException(int status, String type, String title, String detail) {
        this(new Problem(type, title, status, detail, null), Map.of());
    }

    public Problem problem() {
        return problem;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(400, "urn:metered:problem:validation", "Bad Request", detail);
    }

    public static ProblemException invalidField(String field, String message) {
        return new ProblemException(new Problem("urn:metered:problem:validation", "Bad Request", 400,
                "The request has invalid fields.", List.of(new Problem.FieldError(field, message))),
                Map.of());
    }

    public static ProblemException unauthorized(String detail) {
        return new ProblemException(new Problem("about:blank", "Unauthorized", 401, detail, null),
                Map.of("WWW-Authenticate", "Bearer"));
    }

    /** The balance does not cover what was asked: a job's hold, a requeue, a negative adjustment. */
    public static ProblemException paymentRequired(String detail) {
        return new ProblemException(402, "urn:metered:problem:insufficient-credits", "Payment Required", detail);
    }

    public static ProblemException forbidden(String detail) {
        return new ProblemException(403, "about:blank", "Forbidden", detail);
    }

    public static ProblemException notFound(String detail) {
        return new ProblemException(404, "about:blank", "Not Found", detail);
    }

    public static ProblemException conflict(String type, String detail) {
        return new ProblemException(409, type, "Conflict", detail);
    }

    public static ProblemException tooManyRequests(long retryAfterSeconds, String detail) {
        return new ProblemException(
                new Problem("urn:metered:problem:rate-limited", "Too Many Requests", 429, detail, null),
                Map.of("Retry-After", Long.toString(Math.max(1, retryAfterSeconds))));
    }

    /** This service has more work queued than it accepts. */
    public static ProblemException overloaded(long retryAfterSeconds, String detail) {
        return serviceUnavailable("urn:metered:problem:overloaded", retryAfterSeconds, detail);
    }

    /** Something this service depends on (the database) is unavailable. */
    public static ProblemException dependencyUnavailable(long retryAfterSeconds) {
        return serviceUnavailable("urn:metered:problem:unavailable", retryAfterSeconds,
                "A dependency is unavailable; retry shortly.");
    }

    private static ProblemException serviceUnavailable(String type, long retryAfterSeconds, String detail) {
        return new ProblemException(new Problem(type, "Service Unavailable", 503, detail, null),
                Map.of("Retry-After", Long.toString(Math.max(1, retryAfterSeconds))));
    }
}
