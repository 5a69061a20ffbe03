package dev.metered.billing.service;

import dev.metered.billing.config.BillingConfig;
import dev.metered.billing.repository.CheckoutSessionRepository;
import dev.metered.billing.stripe.StripeCheckout;
import dev.metered.runtime.origin.OriginAllowlist;
import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Checkout Sessions, idempotent per (user, Idempotency-Key): a repeat with the same body gets the
 * first answer without a second Stripe call; another body under the same key is 409. Stripe gets
 * its own idempotency key derived from both, so even a retry after a crash cannot buy twice.
 */
@ApplicationScoped
public class CheckoutService {

    private static final Logger LOG = Logger.getLogger(CheckoutService.class);
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");

    public record Created(String sessionId, String url) {
    }

    private final CheckoutSessionRepository sessions;
    private final StripeCheckout stripe;
    private final BillingConfig.Checkout rules;
    private final OriginAllowlist redirectOrigins;
    private final BillingMetrics metrics;

    public CheckoutService(CheckoutSessionRepository sessions, StripeCheckout stripe, BillingConfig config,
                           BillingMetrics metrics,
                           @ConfigProperty(name = "metered.origins.allow-localhost") boolean allowLocalhost) {
        this.sessions = sessions;
        this.stripe = stripe;
        this.metrics = metrics;
        this.rules = config.checkout();
        this.redirectOrigins = new OriginAllowlist(rules.publicOrigins().orElse(List.of()), allowLocalhost, false);
    }

    public Uni<Created> create(UUID userId, String idempotencyKey, long credits, String successUrl, String cancelUrl) {
        if (idempotencyKey == null || !IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
            throw ProblemException.invalidField("Idempotency-Key",
                    "is required: 1 to 255 visible ASCII characters, the same for retries of one purchase");
        }
        checkCredits(credits);
        String success = redirect("success_url", successUrl, rules.successUrl());
        String cancel = redirect("cancel_url", cancelUrl, rules.cancelUrl());
        String requestHash = sha256(credits + "\n" + successUrl + "\n" + cancelUrl);
        long amount = Math.multiplyExact(credits, rules.priceCents());
        StripeCheckout.Order order = new StripeCheckout.Order(userId, credits, rules.priceCents(), rules.currency(),
                success, cancel);
        String stripeKey = "checkout:" + userId + ":" + idempotencyKey;

        return sessions.insertRequest(userId, idempotencyKey, requestHash, credits, amount, rules.currency())
                .chain(newId -> newId != null ? callStripe(newId, order, stripeKey)
                        : repeat(userId, idempotencyKey, requestHash, order, stripeKey));
    }

    private Uni<Created> repeat(UUID userId, String key, String requestHash, StripeCheckout.Order order,
                                String stripeKey) {
        return sessions.findRequest(userId, key, rules.staleAfter()).chain(found -> {
            if (found == null) {
                // the first attempt failed and was forgotten between our insert and this read
                return Uni.createFrom().failure(inProgress());
            }
            if (!found.requestHash().equals(requestHash)) {
                return Uni.createFrom().failure(ProblemException.conflict("urn:metered:problem:idempotency-key-reused",
                        "This Idempotency-Key was used for a different checkout request."));
            }
            if (found.stripeSessionId() != null) {
                return Uni.createFrom().item(new Created(found.stripeSessionId(), found.url()));
            }
            if (!found.stale()) {
                return Uni.createFrom().failure(inProgress());
            }
            return sessions.touch(found.id()).chain(() -> callStripe(found.id(), order, stripeKey));
        });
    }

    private Uni<Created> callStripe(long id, StripeCheckout.Order order, String stripeKey) {
        return stripe.create(order, stripeKey)
                .call(created -> sessions.markOpen(id, created.id(), created.url()))
                .invoke(metrics::checkoutSessionCreated)
                .map(created -> new Created(created.id(), created.url()))
                .onFailure(StripeCheckout.PaymentProviderException.class).recoverWithUni(failure -> {
                    LOG.warnf("Checkout Session not created: %s", failure.getMessage());
                    return sessions.forget(id).chain(() -> Uni.createFrom().failure(new ProblemException(
                            new Problem("urn:metered:problem:payment-provider", "Bad Gateway", 502,
                                    "The payment provider did not create the checkout session; retry with the same"
                                            + " Idempotency-Key.", null), Map.of("Retry-After", "2"))));
                });
    }

    private void checkCredits(long credits) {
        List<Long> packs = rules.packs().orElse(List.of());
        if (!packs.isEmpty() && !packs.contains(credits)) {
            throw ProblemException.invalidField("credits", "must be one of the packs " + packs);
        }
        if (packs.isEmpty() && (credits < rules.minCredits() || credits > rules.maxCredits())) {
            throw ProblemException.invalidField("credits", "must be between " + rules.minCredits() + " and "
                    + rules.maxCredits());
        }
    }

    /** A client-given redirect must lead to an allowed origin: no open redirect through Stripe. */
    private String redirect(String field, String given, String fallback) {
        if (given == null) {
            return fallback;
        }
        if (given.length() > 2048 || !redirectOrigins.allowsUrl(given)) {
            throw ProblemException.invalidField(field, "must be an http(s) URL on PUBLIC_ORIGIN_ALLOWLIST");
        }
        return given;
    }

    private static ProblemException inProgress() {
        return new ProblemException(new Problem("urn:metered:problem:request-in-progress", "Conflict", 409,
                "A request with this Idempotency-Key is still being processed; retry shortly.", null),
                Map.of("Retry-After", "1"));
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
