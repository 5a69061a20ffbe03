package dev.metered.auth.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.UUID;

/** Refresh tokens by SHA-256 hash; the plain token is never stored. */
@ApplicationScoped
public class RefreshTokenRepository {

    private static final String INSERT = """
            INSERT INTO auth.refresh_tokens (token_hash, family_id, user_id, expires_at)
            VALUES ($1, $2, $3, now() + make_interval(secs => $4))""";
    /** Locks the presented token so two concurrent refreshes of it are serialised. */
    private static final String LOCK_BY_HASH = """
            SELECT t.family_id, t.user_id, u.email, t.rotated_at IS NOT NULL AS rotated,
                   t.revoked_at IS NOT NULL AS revoked, t.expires_at <= now() AS expired
            FROM auth.refresh_tokens t JOIN auth.users u ON u.id = t.user_id
            WHERE t.token_hash = $1
            FOR UPDATE OF t""";
    private static final String MARK_ROTATED = "UPDATE auth.refresh_tokens SET rotated_at = now() WHERE token_hash = $1";
    private static final String REVOKE_FAMILY = """
            UPDATE auth.refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL""";
    private static final String REVOKE_FAMILY_OF = """
            UPDATE auth.refresh_tokens SET revoked_at = now()
            WHERE family_id = (SELECT family_id FROM auth.refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL""";
    /** Expired and revoked tokens are kept a while for reuse detection, then dropped. */
    private static final String PURGE = """
            DELETE FROM auth.refresh_tokens WHERE expires_at < now() - make_interval(secs => $1)""";

    public enum State { VALID, ROTATED, REVOKED, EXPIRED }

    public record Presented(UUID familyId, UUID userId, String email, State state) {
    }

    private final Pool pool;

    public RefreshTokenRepository(Pool pool) {
        this.pool = pool;
    }

    public Pool pool() {
        return pool;
    }

    public Uni<Void> insert(SqlClient client, byte[] hash, UUID familyId, UUID userId, Duration ttl) {
        return client.preparedQuery(INSERT).execute(Tuple.of(hash, familyId, userId, (double) ttl.toSeconds()))
                .replaceWithVoid();
    }

    /** Must run inside a transaction: the row stays locked until it ends. Null when unknown. */
    public Uni<Presented> lock(SqlClient transaction, byte[] hash) {
        return transaction.preparedQuery(LOCK_BY_HASH).execute(Tuple.of(hash)).map(rows -> {
            if (rows.size() == 0) {
                return null;
            }
            Row row = rows.iterator().next();
            State state = row.getBoolean("revoked") ? State.REVOKED
                    : row.getBoolean("rotated") ? State.ROTATED
                    : row.getBoolean("expired") ? State.EXPIRED : State.VALID;
            return new Presented(row.getUUID("family_id"), row.getUUID("user_id"), row.getString("email"), state);
        });
    }

    public Uni<Void> markRotated(SqlClient transaction, byte[] hash) {
        return transaction.preparedQuery(MARK_ROTATED).execute(Tuple.of(hash)).replaceWithVoid();
    }

    public Uni<Integer> revokeFamily(SqlClient client, UUID familyId) {
        return client.preparedQuery(REVOKE_FAMILY).execute(Tuple.of(familyId)).map(rows -> rows.rowCount());
    }

    public Uni<Integer> revokeFamilyOf(byte[] hash) {
        return pool.preparedQuery(REVOKE_FAMILY_OF).execute(Tuple.of(hash)).map(rows -> rows.rowCount());
    }

    public Uni<Integer> purgeExpiredBefore(Duration retention) {
        return pool.preparedQuery(PURGE).execute(Tuple.of((double) retention.toSeconds())).map(rows -> rows.rowCount());
    }
}
