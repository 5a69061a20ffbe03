package dev.metered.billing.rest;

import dev.metered.billing.service.StripeEventProcessor;
import dev.metered.billing.stripe.StripeSignature;
import dev.metered.runtime.json.StorableText;
import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/billing/webhook")
@Tag(name = "billing")
public class WebhookResource {

    public record Receipt(boolean received, String eventId, String result) {
    }

    /**
     * The longest event id whose ledger keys ({@code stripe:{id}:topup}, {@code stripe:{id}:refund})
     * fit billing.credit_ledger's 200 characters; a longer one could be stored but never applied.
     */
    static final int MAX_EVENT_ID_LENGTH = 200 - "stripe:".length() - ":refund".length();

    private final StripeSignature signature;
    private final StripeEventProcessor processor;

    public WebhookResource(StripeSignature signature, StripeEventProcessor processor) {
        this.signature = signature;
        this.processor = processor;
    }

    /** The raw bytes are verified as received: nothing is parsed or re-serialised before the signature check. */
    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Stripe webhook: verified, stored and applied exactly once")
    @APIResponse(responseCode = "200", description = "Applied, ignored, or already applied before")
    @APIResponse(responseCode = "400",
            description = "Invalid or stale signature, not a Stripe event, an event id over 186 characters, or text PostgreSQL cannot store; nothing stored",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "500", description = "Stored as failed; Stripe retries",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Receipt> receive(byte[] body, @HeaderParam("Stripe-Signature") String stripeSignature) {
        String payload = new String(body, StandardCharsets.UTF_8);
        signature.verify(payload, stripeSignature);
        JsonObject event = parseEvent(payload);
        String eventId = event.getString("id");
        return processor.apply(eventId, event.getString("type"), event)
                .map(result -> new Receipt(true, eventId, result.name().toLowerCase()))
                .onFailure(failure -> !(failure instanceof ProblemException))
                .transform(failure -> new ProblemException(500, "urn:metered:problem:webhook-failed",
                        "Internal Server Error", "The event was stored as failed and will be applied on retry."));
    }

    private static JsonObject parseEvent(String payload) {
        JsonObject event;
        try {
            event = new JsonObject(payload);
        } catch (DecodeException | ClassCastException e) {
            throw ProblemException.badRequest("The body is not a JSON object.");
        }
        if (!(event.getValue("id") instanceof String id) || id.isEmpty()
                || !(event.getValue("type") instanceof String type) || type.isEmpty() || type.length() > 255
                || !(event.getValue("data") instanceof JsonObject data) || !(data.getValue("object") instanceof JsonObject)) {
            throw ProblemException.badRequest("The body is not a Stripe event (id, type, data.object).");
        }
        if (id.codePointCount(0, id.length()) > MAX_EVENT_ID_LENGTH) {
            throw ProblemException.invalidField("id", "must be at most " + MAX_EVENT_ID_LENGTH + " characters");
        }
        // jsonb (and text: the id and type columns) refuse U+0000 and lone surrogates: such an event
        // could never be stored, so it is refused before anything is written rather than answered
        // 500 ("stored as failed") for ever
        if (!StorableText.isStorable(event)) {
            throw ProblemException.badRequest("The event holds text PostgreSQL cannot store (U+0000 or an unpaired surrogate).");
        }
        return event;
    }
}
