package dev.metered.billing.stripe;

import com.stripe.exception.SignatureVerificationException;
import com.stripe.net.Webhook;
import dev.metered.billing.config.BillingConfig;
import dev.metered.runtime.problem.ProblemException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;

/**
 * Verifies {@code Stripe-Signature} against the raw body with stripe-java's verifier. Around
 * it: a header it would choke on (stripe-java throws unchecked exceptions for {@code t=abc} or a
 * bare {@code t}) is a 400 like any bad signature, and so is a timestamp from the future, which
 * stripe-java accepts. {@code STRIPE_WEBHOOK_SECRET} may list several secrets, comma-separated,
 * while an endpoint secret is being rolled.
 */
@Singleton
public class StripeSignature {

    private final List<String> secrets;
    private final long toleranceSeconds;
    private final Clock clock;

    @Inject
    public StripeSignature(BillingConfig config) {
        this(Arrays.stream(config.stripe().webhookSecret().split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toList(), config.stripe().webhookTolerance().toSeconds(), Clock.systemUTC());
    }

    StripeSignature(List<String> secrets, long toleranceSeconds, Clock clock) {
        if (secrets.isEmpty()) {
            throw new IllegalStateException("STRIPE_WEBHOOK_SECRET is empty");
        }
        this.secrets = secrets;
        this.toleranceSeconds = toleranceSeconds;
        this.clock = clock;
    }

    public void verify(String payload, String header) {
        if (header == null || header.isBlank() || header.length() > 4096) {
            throw invalid("The Stripe-Signature header is missing.");
        }
        long timestamp = timestamp(header);
        if (timestamp > clock.instant().getEpochSecond() + toleranceSeconds) {
            throw invalid("The Stripe-Signature timestamp is in the future.");
        }
        for (String secret : secrets) {
            try {
                if (Webhook.Signature.verifyHeader(payload, header, secret, toleranceSeconds, clock)) {
                    return;
                }
            } catch (SignatureVerificationException | RuntimeException e) {
                // try the next secret; none matching is answered below
            }
        }
        throw invalid("The Stripe-Signature does not match the body, or its timestamp is too old.");
    }

    private static long timestamp(String header) {
        for (String element : header.split(",")) {
            String[] pair = element.trim().split("=", 2);
            if (pair.length == 2 && pair[0].equals("t")) {
                try {
                    return Long.parseLong(pair[1].trim());
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        throw invalid("The Stripe-Signature header has no valid timestamp.");
    }

    private static ProblemException invalid(String detail) {
        return new ProblemException(400, "urn:metered:problem:invalid-signature", "Bad Request", detail);
    }
}
