package dev.metered.billing.stripe;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.checkout.Session;
import com.stripe.net.RequestOptions;
import com.stripe.param.checkout.SessionCreateParams;
import dev.metered.billing.config.BillingConfig;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Singleton;
import java.util.UUID;

/** Creates Checkout Sessions with stripe-java, against {@code STRIPE_API_BASE} when set. */
@Singleton
public class StripeCheckout {

    public record Order(UUID userId, long credits, long unitAmountCents, String currency, String successUrl,
                        String cancelUrl) {
    }

    public record CreatedSession(String id, String url) {
    }

    private final StripeClient client;

    public StripeCheckout(BillingConfig config) {
        int timeoutMillis = (int) config.stripe().timeout().toMillis();
        StripeClient.StripeClientBuilder builder = StripeClient.builder()
                .setApiKey(config.stripe().secretKey())
                .setConnectTimeout(timeoutMillis)
                .setReadTimeout(timeoutMillis)
                .setMaxNetworkRetries(2);
        config.stripe().apiBase().ifPresent(builder::setApiBase);
        this.client = builder.build();
    }

    /**
     * stripe-java does blocking HTTP, so the call runs on a worker thread, never the event loop.
     * The idempotency key makes a retried call return the session the first one created.
     */
    public Uni<CreatedSession> create(Order order, String idempotencyKey) {
        return Uni.createFrom().item(() -> createBlocking(order, idempotencyKey))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private CreatedSession createBlocking(Order order, String idempotencyKey) {
        String user = order.userId().toString();
        String credits = Long.toString(order.credits());
        SessionCreateParams params = SessionCreateParams.builder()
                .setMode(SessionCreateParams.Mode.PAYMENT)
                .setClientReferenceId(user)
                .putMetadata("user_id", user)
                .putMetadata("credits", credits)
                .setPaymentIntentData(SessionCreateParams.PaymentIntentData.builder()
                        .putMetadata("user_id", user)
                        .putMetadata("credits", credits)
                        .build())
                .setSuccessUrl(order.successUrl())
                .setCancelUrl(order.cancelUrl())
                .addLineItem(SessionCreateParams.LineItem.builder()
                        .setQuantity(order.credits())
                        .setPriceData(SessionCreateParams.LineItem.PriceData.builder()
                                .setCurrency(order.currency())
                                .setUnitAmount(order.unitAmountCents())
                                .setProductData(SessionCreateParams.LineItem.PriceData.ProductData.builder()
                                        .setName("Metered credits")
                                        .build())
                                .build())
                        .build())
                .build();
        try {
            Session session = client.checkout().sessions().create(params,
                    RequestOptions.builder().setIdempotencyKey(idempotencyKey).build());
            return new CreatedSession(session.getId(), session.getUrl());
        } catch (StripeException e) {
            throw new PaymentProviderException(e);
        }
    }

    /** Stripe refused the request or could not be reached. */
    public static final class PaymentProviderException extends RuntimeException {
        PaymentProviderException(StripeException cause) {
            super("Stripe: " + cause.getMessage(), cause);
        }
    }
}
