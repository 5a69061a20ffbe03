package dev.metered.auth.service;

import dev.metered.auth.User;
import dev.metered.auth.config.AuthConfig;
import dev.metered.auth.repository.RefreshTokenRepository;
import dev.metered.auth.repository.RefreshTokenRepository.Presented;
import dev.metered.auth.repository.RefreshTokenRepository.State;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;

/**
 * Opaque refresh tokens in families: login starts a family, every refresh rotates the token, and
 * presenting an already-rotated token (a stolen copy, or the thief's after the owner's) revokes
 * the whole family, so at most one of the two parties keeps a session.
 */
@ApplicationScoped
public class RefreshTokens {

    private static final Duration REUSE_DETECTION_RETENTION = Duration.ofDays(7);

    /** What a refresh attempt found; only {@code ROTATED} carries a user and a new token. */
    public record Rotation(User user, String newToken) {
    }

    private final RefreshTokenRepository repository;
    /**
     * An instance field, never a static one: a native build initialises classes at build time, so
     * a static SecureRandom would be created by the builder (native-image refuses to store one in
     * the image, as every process would share its state). The bean is created at run time.
     */
    private final SecureRandom random = new SecureRandom();
    private final AuthConfig config;
    private final AuthMetrics metrics;

    public RefreshTokens(RefreshTokenRepository repository, AuthConfig config, AuthMetrics metrics) {
        this.repository = repository;
        this.config = config;
        this.metrics = metrics;
    }

    /** Starts a new family for a fresh login. */
    public Uni<String> startFamily(UUID userId) {
        String token = newToken();
        return repository.insert(repository.pool(), hash(token), UUID.randomUUID(), userId,
                config.jwt().refreshTokenTtl()).replaceWith(token);
    }

    /**
     * Rotates a valid token in one transaction; for a reused token revokes its family (and that
     * revocation commits); null for anything not valid.
     */
    public Uni<Rotation> rotate(String presented) {
        byte[] hash = hash(presented);
        return repository.pool().withTransaction(tx -> repository.lock(tx, hash).chain(found -> {
            if (found == null || found.state() == State.REVOKED || found.state() == State.EXPIRED) {
                return Uni.createFrom().item(Attempt.REFUSED);
            }
            if (found.state() == State.ROTATED) {
                return repository.revokeFamily(tx, found.familyId()).replaceWith(Attempt.REUSED);
            }
            return rotateValid(tx, hash, found).map(rotation -> new Attempt(rotation, false));
        })).map(attempt -> {
            // after the commit: the family's revocation is in effect
            if (attempt.reuse()) {
                metrics.refreshTokenReuse();
            }
            return attempt.rotation();
        });
    }

    /** What {@link #rotate} did inside its transaction. */
    private record Attempt(Rotation rotation, boolean reuse) {
        static final Attempt REFUSED = new Attempt(null, false);
        static final Attempt REUSED = new Attempt(null, true);
    }

    private Uni<Rotation> rotateValid(SqlClient tx, byte[] hash, Presented found) {
        String next = newToken();
        return repository.markRotated(tx, hash)
                .chain(() -> repository.insert(tx, hash(next), found.familyId(), found.userId(),
                        config.jwt().refreshTokenTtl()))
                .replaceWith(new Rotation(new User(found.userId(), found.email(), null), next));
    }

    /** Ends the session the token belongs to, whatever state the token is in. */
    public Uni<Void> revokeFamilyOf(String presented) {
        return repository.revokeFamilyOf(hash(presented)).replaceWithVoid();
    }

    @Scheduled(every = "1h", delayed = "5m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purgeExpired() {
        return repository.purgeExpiredBefore(REUSE_DETECTION_RETENTION).replaceWithVoid();
    }

    private String newToken() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
