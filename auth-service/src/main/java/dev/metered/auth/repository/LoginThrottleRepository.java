package dev.metered.auth.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * Fixed-window attempt counters with lockout, in PostgreSQL so every replica sees the same
 * counts. An attempt is counted before the password is checked, so a concurrent burst cannot
 * slip more than the limit past the check.
 */
@ApplicationScoped
public class LoginThrottleRepository {

    /**
     * Counts one attempt for a subject and returns the seconds its lockout still lasts (0 when
     * not locked). While locked nothing changes; once a lockout or window has passed, counting
     * starts afresh; the attempt that exceeds the limit starts the lockout and is refused itself.
     * now() is fixed for the transaction, so {@code locked_until = now() + lockout} holds exactly
     * when this statement started the lockout.
     */
    private static final String COUNT_ATTEMPT = """
            WITH params AS (SELECT make_interval(secs => $2) AS win, $3::int AS max_attempts,
                                   make_interval(secs => $4) AS lockout)
            INSERT INTO auth.login_throttle AS t (subject, window_started_at, attempts, locked_until)
            SELECT $1, now(), 1, CASE WHEN max_attempts < 1 THEN now() + lockout END FROM params
            ON CONFLICT (subject) DO UPDATE SET
                window_started_at = CASE
                    WHEN t.locked_until > now() THEN t.window_started_at
                    WHEN t.locked_until IS NOT NULL OR t.window_started_at <= now() - (SELECT win FROM params) THEN now()
                    ELSE t.window_started_at END,
                attempts = CASE
                    WHEN t.locked_until > now() THEN t.attempts
                    WHEN t.locked_until IS NOT NULL OR t.window_started_at <= now() - (SELECT win FROM params) THEN 1
                    ELSE t.attempts + 1 END,
                locked_until = CASE
                    WHEN t.locked_until > now() THEN t.locked_until
                    WHEN t.locked_until IS NULL AND t.window_started_at > now() - (SELECT win FROM params)
                         AND t.attempts + 1 > (SELECT max_attempts FROM params)
                        THEN now() + (SELECT lockout FROM params)
                    ELSE NULL END
            RETURNING GREATEST(0, ceil(extract(epoch FROM (t.locked_until - now()))))::bigint AS locked_for,
                      coalesce(t.locked_until = now() + make_interval(secs => $4), false) AS lockout_started""";
    private static final String CLEAR = "DELETE FROM auth.login_throttle WHERE subject = $1";
    /** A successful login gives back the attempt it was counted as, unless a lockout already began. */
    private static final String GIVE_BACK = """
            UPDATE auth.login_throttle SET attempts = attempts - 1
            WHERE subject = $1 AND attempts > 0 AND locked_until IS NULL""";
    private static final String PURGE = """
            DELETE FROM auth.login_throttle
            WHERE window_started_at < now() - make_interval(secs => $1)
              AND (locked_until IS NULL OR locked_until < now())""";

    /** A counted attempt: how long the subject is still locked (0: not), and whether this attempt locked it. */
    public record Attempt(long lockedFor, boolean lockoutStarted) {
    }

    private final Pool pool;

    public LoginThrottleRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Attempt> countAttempt(String subject, Duration window, int maxAttempts, Duration lockout) {
        return pool.preparedQuery(COUNT_ATTEMPT)
                .execute(Tuple.of(subject, (double) window.toSeconds(), maxAttempts, (double) lockout.toSeconds()))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return new Attempt(row.getLong("locked_for"), row.getBoolean("lockout_started"));
                });
    }

    public Uni<Void> clear(String subject) {
        return pool.preparedQuery(CLEAR).execute(Tuple.of(subject)).replaceWithVoid();
    }

    public Uni<Void> giveBack(String subject) {
        return pool.preparedQuery(GIVE_BACK).execute(Tuple.of(subject)).replaceWithVoid();
    }

    public Uni<Integer> purgeOlderThan(Duration age) {
        return pool.preparedQuery(PURGE).execute(Tuple.of((double) age.toSeconds())).map(rows -> rows.rowCount());
    }
}
