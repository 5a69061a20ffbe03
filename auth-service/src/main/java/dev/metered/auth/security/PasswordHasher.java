package dev.metered.auth.security;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;
import dev.metered.auth.config.AuthConfig;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Argon2id hashing off the event loop, on a small dedicated pool: a login flood queues here
 * (bounded, then 503) instead of exhausting memory or starving the event loop and other requests.
 */
@Singleton
public class PasswordHasher {

    /**
     * OWASP's Argon2id baseline: 19 MiB, 2 iterations, 1 lane. An instance field, not a static
     * one: a native build initialises classes at build time, and this function preallocates its
     * 19 MiB of blocks, which would otherwise be stored in the executable.
     */
    private final Argon2Function argon2id = Argon2Function.getInstance(19 * 1024, 2, 1, 32, Argon2.ID);
    private final WorkerExecutor executor;
    private final int maxPending;
    private final AtomicInteger pending = new AtomicInteger();
    /** Compared against when the account does not exist, so both cases take the same time. */
    private final String dummyHash;

    public PasswordHasher(Vertx vertx, AuthConfig config) {
        this.executor = vertx.createSharedWorkerExecutor("password-hashing", config.password().hashingThreads());
        this.maxPending = config.password().hashingThreads() + config.password().maxQueued();
        this.dummyHash = hashNow("timing-equaliser-" + System.nanoTime());
    }

    public Uni<String> hash(String password) {
        return offload(() -> hashNow(password));
    }

    /** Checks against the stored hash, or against a dummy one when there is no account. */
    public Uni<Boolean> verify(String password, String storedHashOrNull) {
        String hash = storedHashOrNull == null ? dummyHash : storedHashOrNull;
        return offload(() -> Password.check(password, hash).with(Argon2Function.getInstanceFromHash(hash))
                && storedHashOrNull != null);
    }

    private String hashNow(String password) {
        return Password.hash(password).addRandomSalt(16).with(argon2id).getResult();
    }

    private <T> Uni<T> offload(Callable<T> work) {
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            return Uni.createFrom().failure(ProblemException.overloaded(1,
                    "Too many sign-in requests are being processed; retry shortly."));
        }
        return Uni.createFrom().completionStage(() -> executor.executeBlocking(work, false).toCompletionStage())
                .onTermination().invoke(pending::decrementAndGet);
    }

    @PreDestroy
    void close() {
        executor.close();
    }
}
