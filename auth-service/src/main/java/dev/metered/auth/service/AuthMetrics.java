package dev.metered.auth.service;

import dev.metered.runtime.problem.DependencyOutage;
import dev.metered.runtime.problem.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

/** auth-service's domain metrics; every tag value is one of a fixed few, never an email or a user id. */
@Singleton
public class AuthMetrics {

    public static final String LOGINS = "metered.auth.logins";
    public static final String LOCKOUTS = "metered.auth.lockouts";
    public static final String REGISTRATIONS = "metered.auth.registrations";
    public static final String REFRESH_TOKEN_REUSES = "metered.auth.refresh_token.reuses";

    private final MeterRegistry registry;

    public AuthMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void loginSucceeded() {
        login("success");
    }

    /** bad_credentials (401), throttled (429: account or address locked), unavailable (503), else error. */
    void loginFailed(Throwable failure) {
        int status = failure instanceof ProblemException problem ? problem.problem().status()
                : DependencyOutage.isTransient(failure) ? 503 : 500;
        login(switch (status) {
            case 401 -> "bad_credentials";
            case 429 -> "throttled";
            case 503 -> "unavailable";
            default -> "error";
        });
    }

    /** {@code scope}: account or address. */
    void lockoutStarted(String scope) {
        Counter.builder(LOCKOUTS).description("Login lockouts started (the attempt over the limit)")
                .tag("scope", scope).register(registry).increment();
    }

    /** {@code outcome}: created or email_taken. */
    void registration(String outcome) {
        Counter.builder(REGISTRATIONS).description("Registration attempts that reached the database")
                .tag("outcome", outcome).register(registry).increment();
    }

    void refreshTokenReuse() {
        Counter.builder(REFRESH_TOKEN_REUSES)
                .description("Rotated refresh tokens presented again; each revoked its session (token family)")
                .register(registry).increment();
    }

    private void login(String outcome) {
        Counter.builder(LOGINS).description("Login attempts past validation, by outcome").tag("outcome", outcome)
                .register(registry).increment();
    }
}
