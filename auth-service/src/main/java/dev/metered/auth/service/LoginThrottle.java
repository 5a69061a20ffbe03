package dev.metered.auth.service;

import dev.metered.auth.config.AuthConfig;
import dev.metered.auth.repository.LoginThrottleRepository;
import dev.metered.runtime.problem.ProblemException;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code AUTH_LOGIN_MAX_ATTEMPTS} per {@code AUTH_LOGIN_WINDOW_SECONDS}, then a lockout of
 * {@code AUTH_LOGIN_LOCKOUT_SECONDS}, counted per account and per client address.
 */
@ApplicationScoped
public class LoginThrottle {

    private final LoginThrottleRepository repository;
    private final AuthConfig.Login limits;
    private final AuthMetrics metrics;

    public LoginThrottle(LoginThrottleRepository repository, AuthConfig config, AuthMetrics metrics) {
        this.repository = repository;
        this.limits = config.login();
        this.metrics = metrics;
    }

    /**
     * Counts the attempt against the account, then against the address; fails with 429 if
     * either is locked. An attempt on a locked account is not also counted against the
     * address: hammering one account must not lock out everybody behind the same address.
     */
    public Uni<Void> admit(String email, String address) {
        return repository.countAttempt(accountSubject(email), limits.window(), limits.maxAttempts(), limits.lockout())
                .invoke(attempt -> counted(attempt, "account"))
                .chain(account -> account.lockedFor() > 0 ? Uni.createFrom().item(account.lockedFor())
                        : repository.countAttempt(addressSubject(address), limits.window(), limits.addressLimit(),
                                limits.lockout()).invoke(attempt -> counted(attempt, "address"))
                                .map(LoginThrottleRepository.Attempt::lockedFor))
                .chain(lockedFor -> lockedFor > 0
                        ? Uni.createFrom().failure(ProblemException.tooManyRequests(lockedFor,
                                "Too many sign-in attempts; try again later."))
                        : Uni.createFrom().voidItem());
    }

    private void counted(LoginThrottleRepository.Attempt attempt, String scope) {
        if (attempt.lockoutStarted()) {
            metrics.lockoutStarted(scope);
        }
    }

    /** After a successful login the account starts afresh; the address gets its attempt back. */
    public Uni<Void> succeeded(String email, String address) {
        return repository.clear(accountSubject(email)).chain(() -> repository.giveBack(addressSubject(address)));
    }

    @Scheduled(every = "10m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purgeStale() {
        return repository.purgeOlderThan(limits.window().plus(limits.lockout())).replaceWithVoid();
    }

    private static String accountSubject(String email) {
        return "account:" + email;
    }

    private static String addressSubject(String address) {
        return "address:" + address;
    }
}
