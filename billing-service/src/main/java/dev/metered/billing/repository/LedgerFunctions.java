package dev.metered.billing.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/** billing-service's own calls of the ledger functions (V2 migration), inside the caller's transaction. */
@ApplicationScoped
public class LedgerFunctions {

    public record Outcome(long entryId, long balance, boolean applied) {
    }

    private static final String TOPUP = "SELECT entry_id, balance, applied FROM billing.topup($1, $2, $3, $4)";
    private static final String REFUND = "SELECT entry_id, balance, applied FROM billing.refund($1, $2, $3, $4)";

    public Uni<Outcome> topup(SqlClient tx, UUID userId, long credits, String eventId, String reference) {
        return tx.preparedQuery(TOPUP).execute(Tuple.of(userId, credits, eventId, reference))
                .map(rows -> outcome(rows.iterator().next()));
    }

    public Uni<Outcome> refund(SqlClient tx, UUID userId, long credits, String eventId, String reference) {
        return tx.preparedQuery(REFUND).execute(Tuple.of(userId, credits, eventId, reference))
                .map(rows -> outcome(rows.iterator().next()));
    }

    private static Outcome outcome(Row row) {
        return new Outcome(row.getLong("entry_id"), row.getLong("balance"), row.getBoolean("applied"));
    }
}
