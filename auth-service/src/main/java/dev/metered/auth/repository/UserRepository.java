package dev.metered.auth.repository;

import dev.metered.auth.User;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.UUID;

@ApplicationScoped
public class UserRepository {

    /** The unique index on email settles concurrent registrations: exactly one insert returns a row. */
    private static final String INSERT_UNLESS_TAKEN = """
            INSERT INTO auth.users (email, password_hash) VALUES ($1, $2)
            ON CONFLICT (email) DO NOTHING
            RETURNING id""";
    private static final String FIND_BY_EMAIL = "SELECT id, email, password_hash FROM auth.users WHERE email = $1";
    private static final String FIND_BY_ID = "SELECT id, email, password_hash FROM auth.users WHERE id = $1";

    private final Pool pool;

    public UserRepository(Pool pool) {
        this.pool = pool;
    }

    /** The new user's id, or empty when the email is taken. */
    public Uni<Optional<UUID>> insertUnlessTaken(String email, String passwordHash) {
        return pool.preparedQuery(INSERT_UNLESS_TAKEN).execute(Tuple.of(email, passwordHash))
                .map(rows -> first(rows).map(row -> row.getUUID("id")));
    }

    public Uni<Optional<User>> findByEmail(String email) {
        return pool.preparedQuery(FIND_BY_EMAIL).execute(Tuple.of(email)).map(rows -> first(rows).map(UserRepository::user));
    }

    public Uni<Optional<User>> findById(UUID id) {
        return pool.preparedQuery(FIND_BY_ID).execute(Tuple.of(id)).map(rows -> first(rows).map(UserRepository::user));
    }

    private static User user(Row row) {
        return new User(row.getUUID("id"), row.getString("email"), row.getString("password_hash"));
    }

    private static Optional<Row> first(RowSet<Row> rows) {
        var iterator = rows.iterator();
        return iterator.hasNext() ? Optional.of(iterator.next()) : Optional.empty();
    }
}
