package dev.metered.ops.credits;

import dev.metered.ops.admin.AdminGate;
import dev.metered.ops.admin.AuditNote;
import dev.metered.ops.db.SqlErrors;
import dev.metered.runtime.json.StorableText;
import dev.metered.runtime.paging.KeysetPage;
import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.problem.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Operators' corrections of balances, always as a new adjustment row through billing.adjust. */
@Path("/api/ops")
@Tag(name = "ops")
@SecurityRequirement(name = "admin")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Invalid X-Admin-Actor",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "Missing or wrong admin token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class CreditsResource {

    private static final long MAX_ADJUSTMENT = 1_000_000_000L;
    private static final String USER_BY_ID = "SELECT user_id, email, created_at FROM auth.ops_users WHERE user_id = $1";
    private static final String USER_BY_EMAIL = "SELECT user_id, email, created_at FROM auth.ops_users WHERE email = $1";
    private static final String ADJUST = "SELECT entry_id, balance, applied FROM billing.adjust($1, $2, $3, $4, $5)";
    private static final String ENTRY = """
            SELECT id, user_id, amount, kind, idempotency_key, reference, actor, reason, created_at
            FROM billing.ops_ledger WHERE id = $1""";
    private static final String ACCOUNT = """
            SELECT a.balance, a.held, (SELECT coalesce(sum(amount), 0) FROM billing.ops_ledger WHERE user_id = $1) AS ledger_sum
            FROM (SELECT $1::uuid AS user_id) u LEFT JOIN billing.ops_accounts a USING (user_id)""";
    private static final String LATEST_ENTRIES = """
            SELECT id, user_id, amount, kind, idempotency_key, reference, actor, reason, created_at
            FROM billing.ops_ledger WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2""";

    public record AdjustRequest(@NotNull UUID userId,
                                @NotNull @Min(-MAX_ADJUSTMENT) @Max(MAX_ADJUSTMENT) Long amount,
                                @NotBlank @Size(max = 500) String reason,
                                @NotNull @Pattern(regexp = "[A-Za-z0-9._:-]{1,128}",
                                        message = "must be 1 to 128 letters, digits or ._:-") String idempotencyKey) {
    }

    /** Native images: a hand-built Response entity (201 or 200), invisible to quarkus-rest. */
    @RegisterForReflection
    public record Adjustment(long entryId, String userId, long amount, long balance, String reason,
                             String idempotencyKey, String actor, OffsetDateTime createdAt) {
    }

    public record Entry(long id, long amount, String kind, String idempotencyKey,
                        @Schema(nullable = true) String reference, @Schema(nullable = true) String actor,
                        @Schema(nullable = true) String reason, OffsetDateTime createdAt) {
    }

    public record Credits(String userId, String email, long balance, long held, long ledgerSum, List<Entry> entries) {
    }

    public record User(String userId, String email, OffsetDateTime createdAt) {
    }

    private final Pool pool;
    private final AuditNote audit;
    private final Counter adjustments;

    public CreditsResource(Pool pool, AuditNote audit, MeterRegistry registry) {
        this.pool = pool;
        this.audit = audit;
        this.adjustments = Counter.builder("metered.ledger.entries").tag("kind", "adjustment")
                .description("Ledger rows written, by kind").register(registry);
    }

    @POST
    @Path("/credits/adjust")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Correct a balance with an adjustment ledger row (never by changing old rows)")
    @APIResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = Adjustment.class)))
    @APIResponse(responseCode = "200", description = "Made before with this idempotency key and the same body",
            content = @Content(schema = @Schema(implementation = Adjustment.class)))
    @APIResponse(responseCode = "400", description = "Invalid fields (a reason is required; the amount is not zero) or X-Admin-Actor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "402", description = "A negative adjustment larger than the balance",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such user",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The idempotency key was used for another adjustment",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> adjust(@HeaderParam(AdminGate.ACTOR_HEADER) String actorName,
                                @NotNull @Valid AdjustRequest body) {
        if (body.amount() == 0) {
            throw ProblemException.invalidField("amount", "must not be zero");
        }
        String reason = body.reason().strip();
        String actor = "ops:" + (actorName == null ? "admin" : actorName);
        audit.detail(JsonObject.of("user_id", body.userId().toString(), "amount", body.amount(), "reason", reason,
                "idempotency_key", body.idempotencyKey()));
        return requireUser(body.userId())
                .chain(user -> pool.withTransaction(tx -> tx.preparedQuery(ADJUST)
                        .execute(Tuple.of(body.userId(), body.amount(), reason, body.idempotencyKey(), actor))
                        .chain(rows -> {
                            Row outcome = rows.iterator().next();
                            long balance = outcome.getLong("balance");
                            boolean applied = outcome.getBoolean("applied");
                            return tx.preparedQuery(ENTRY).execute(Tuple.of(outcome.getLong("entry_id")))
                                    .map(entries -> adjustment(entries.iterator().next(), balance, applied, reason));
                        })))
                .onFailure().transform(failure -> SqlErrors.asProblem(failure, "No such user."))
                .map(result -> {
                    if (result.created()) {
                        adjustments.increment();
                    }
                    audit.detail(JsonObject.of("user_id", body.userId().toString(), "amount", body.amount(),
                            "reason", reason, "idempotency_key", body.idempotencyKey(),
                            "entry_id", result.adjustment().entryId(), "created", result.created()));
                    return Response.status(result.created() ? 201 : 200).entity(result.adjustment()).build();
                });
    }

    private record Outcome(Adjustment adjustment, boolean created) {
    }

    /** A replay must say what the first call said; the ledger already checked user and amount. */
    private static Outcome adjustment(Row entry, long balance, boolean applied, String reason) {
        if (!applied && !reason.equals(entry.getString("reason"))) {
            throw ProblemException.conflict("urn:metered:problem:idempotency-key-reused",
                    "This idempotency key was used for an adjustment with another reason.");
        }
        return new Outcome(new Adjustment(entry.getLong("id"), entry.getUUID("user_id").toString(),
                entry.getLong("amount"), balance, entry.getString("reason"),
                entry.getString("idempotency_key").substring("admin:".length()), entry.getString("actor"),
                entry.getOffsetDateTime("created_at")), applied);
    }

    @GET
    @Path("/users/{id}/credits")
    @Operation(summary = "A user's balance, SUM(amount) of their ledger recomputed, and their latest ledger rows")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Credits.class)))
    @APIResponse(responseCode = "400", description = "Bad limit, or an invalid X-Admin-Actor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such user",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Credits> credits(@PathParam("id") String idParam, @QueryParam("limit") String limitParam) {
        UUID userId = parseUser(idParam);
        int limit = KeysetPage.limit(limitParam);
        return requireUser(userId).chain(user -> Uni.combine().all()
                .unis(pool.preparedQuery(ACCOUNT).execute(Tuple.of(userId)),
                        pool.preparedQuery(LATEST_ENTRIES).execute(Tuple.of(userId, limit)))
                .asTuple().map(both -> {
                    Row account = both.getItem1().iterator().next();
                    List<Entry> entries = new ArrayList<>();
                    both.getItem2().forEach(row -> entries.add(new Entry(row.getLong("id"), row.getLong("amount"),
                            row.getString("kind"), row.getString("idempotency_key"), row.getString("reference"),
                            row.getString("actor"), row.getString("reason"), row.getOffsetDateTime("created_at"))));
                    Long balance = account.getLong("balance");
                    Long held = account.getLong("held");
                    return new Credits(userId.toString(), user.email(), balance == null ? 0 : balance,
                            held == null ? 0 : held, account.getNumeric("ledger_sum").longValue(), entries);
                }));
    }

    @GET
    @Path("/users")
    @Operation(summary = "Find a user by email (as a support ticket names them)")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = User.class)))
    @APIResponse(responseCode = "400", description = "No email, or one over 254 characters; or an invalid X-Admin-Actor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such user",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<User> byEmail(@QueryParam("email") String email) {
        if (email == null || email.isBlank() || email.length() > 254 || !StorableText.isStorable(email)) {
            throw ProblemException.invalidField("email", "is required: an address of at most 254 characters");
        }
        return pool.preparedQuery(USER_BY_EMAIL).execute(Tuple.of(email.strip().toLowerCase(Locale.ROOT)))
                .map(rows -> {
                    var it = rows.iterator();
                    if (!it.hasNext()) {
                        throw ProblemException.notFound("No such user.");
                    }
                    return user(it.next());
                });
    }

    private Uni<User> requireUser(UUID userId) {
        return pool.preparedQuery(USER_BY_ID).execute(Tuple.of(userId)).map(rows -> {
            var it = rows.iterator();
            if (!it.hasNext()) {
                throw ProblemException.notFound("No such user.");
            }
            return user(it.next());
        });
    }

    private static User user(Row row) {
        return new User(row.getUUID("user_id").toString(), row.getString("email"), row.getOffsetDateTime("created_at"));
    }

    private static UUID parseUser(String value) {
        try {
            if (value != null && value.length() == 36) {
                return UUID.fromString(value);
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw ProblemException.notFound("No such user.");
    }
}
