package dev.metered.billing.rest;

import dev.metered.billing.repository.AccountRepository;
import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.paging.KeysetPage;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/billing")
@Tag(name = "billing")
@Authenticated
@SecurityRequirement(name = "bearer")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "401", description = "Missing or invalid access token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class AccountResource {

    public record BalanceView(UUID userId, long balance, long held) {
    }

    public record LedgerItem(long id, long amount, String kind,
                             @Schema(nullable = true, description = "The job, Checkout Session or charge id; null for an adjustment")
                             String reference,
                             OffsetDateTime createdAt) {
    }

    public record LedgerPage(List<LedgerItem> items,
                             @Schema(nullable = true, description = "The cursor of the next page; null on the last one")
                             String nextCursor) {
    }

    private final AccountRepository accounts;
    private final JsonWebToken token;

    public AccountResource(AccountRepository accounts, JsonWebToken token) {
        this.accounts = accounts;
        this.token = token;
    }

    @GET
    @Path("/balance")
    @Operation(summary = "Credits available now, and credits held by unfinished jobs")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BalanceView.class)))
    public Uni<BalanceView> balance() {
        UUID user = UUID.fromString(token.getSubject());
        return accounts.balance(user).map(b -> new BalanceView(user, b.balance(), b.held()));
    }

    @GET
    @Path("/ledger")
    @Operation(summary = "The user's ledger entries, newest first, in pages")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = LedgerPage.class)))
    @APIResponse(responseCode = "400", description = "Invalid limit or cursor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<LedgerPage> ledger(@QueryParam("limit") String limitParam, @QueryParam("cursor") String cursorParam) {
        int limit = KeysetPage.limit(limitParam);
        KeysetPage.Cursor cursor = KeysetPage.cursor(cursorParam);
        Long beforeId = cursor == null ? null : KeysetPage.longId(cursor);
        UUID user = UUID.fromString(token.getSubject());
        return accounts.ledgerPage(user, cursor == null ? null : cursor.createdAt(), beforeId, limit + 1).map(entries -> {
            var page = KeysetPage.slice(entries, limit,
                    entry -> new KeysetPage.Cursor(entry.createdAt(), Long.toString(entry.id())));
            return new LedgerPage(page.rows().stream().map(e -> new LedgerItem(e.id(), e.amount(), e.kind(),
                    e.reference(), e.createdAt())).toList(), page.nextCursor());
        });
    }
}
