package dev.metered.billing.repository;

import dev.metered.billing.LedgerEntry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Reads of a user's account and ledger; every write goes through the ledger functions. */
@ApplicationScoped
public class AccountRepository {

    public record Balance(long balance, long held) {
    }

    private static final String BALANCE = "SELECT balance, held FROM billing.accounts WHERE user_id = $1";
    /** Newest first; the (created_at, id) pair is the keyset, so pages never skip or repeat rows. */
    private static final String LEDGER_PAGE = """
            SELECT id, amount, kind, reference, created_at FROM billing.credit_ledger
            WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
            ORDER BY created_at DESC, id DESC
            LIMIT $4""";

    private final Pool pool;

    public AccountRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Balance> balance(UUID userId) {
        return pool.preparedQuery(BALANCE).execute(Tuple.of(userId)).map(rows -> {
            if (rows.size() == 0) {
                return new Balance(0, 0);
            }
            Row row = rows.iterator().next();
            return new Balance(row.getLong("balance"), row.getLong("held"));
        });
    }

    /** Up to {@code limit} entries strictly older than the cursor position (or the newest, without one). */
    public Uni<List<LedgerEntry>> ledgerPage(UUID userId, OffsetDateTime beforeCreatedAt, Long beforeId, int limit) {
        return pool.preparedQuery(LEDGER_PAGE).execute(Tuple.of(userId, beforeCreatedAt, beforeId, limit)).map(rows -> {
            List<LedgerEntry> entries = new ArrayList<>();
            for (Row row : rows) {
                entries.add(new LedgerEntry(row.getLong("id"), row.getLong("amount"), row.getString("kind"),
                        row.getString("reference"), row.getOffsetDateTime("created_at")));
            }
            return entries;
        });
    }
}
