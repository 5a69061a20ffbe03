package dev.metered.billing.stripe;

import com.stripe.model.Address;
import com.stripe.model.Discount;
import com.stripe.model.LineItem;
import com.stripe.model.LineItemCollection;
import com.stripe.model.Price;
import com.stripe.model.StripeCollection;
import com.stripe.model.StripeError;
import com.stripe.model.StripeObject;
import com.stripe.model.TaxRate;
import com.stripe.model.checkout.Session;
import com.stripe.net.ApiRequestParams;
import com.stripe.net.ApiResource;
import com.stripe.param.checkout.SessionCreateParams;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The stripe-java classes a native billing-service needs reflection for. stripe-java reads and
 * writes JSON with Gson, which walks the declared fields of every class it meets; a native
 * executable only has the fields of registered classes, so an unregistered one would come out of
 * Stripe's answer empty (or fail to be created). Nested classes are registered with their outer
 * class, superclasses are not, hence ApiResource and StripeObject below.
 *
 * <p>billing-service calls Stripe in exactly one place, {@link StripeCheckout}: it writes a
 * {@link SessionCreateParams} (Gson turns it into form fields) and reads a {@link Session}; an
 * error answer is read as a {@link StripeError}, and stripe-java sends its request timings as
 * RequestTelemetry's payload (package-private classes, hence their names). Webhooks need nothing here: {@link StripeSignature} checks
 * the HMAC with stripe-java, and the event is read as plain JSON, not as stripe-java's Event.
 *
 * <p>The rest of the list is what Gson reaches from those through field types (LineItemCollection
 * for a Session's line items, Discount, TaxRate, Address...). StripeReflectionTest walks the
 * fields as Gson does and fails when a stripe-java upgrade or a new call reaches a class missing
 * here. Left out on purpose: the PaymentIntent, PaymentMethod, SetupIntent and payment source that
 * a StripeError carries only for a failed payment, which creating a Checkout Session never
 * returns (about 250 more classes).
 */
@RegisterForReflection(targets = {
        Session.class,
        SessionCreateParams.class,
        StripeError.class,
        LineItemCollection.class,
        LineItem.class,
        Price.class,
        Discount.class,
        TaxRate.class,
        Address.class,
        StripeCollection.class,
        ApiResource.class,
        StripeObject.class,
        ApiRequestParams.class,
}, classNames = {
        "com.stripe.net.RequestTelemetry$ClientTelemetryPayload",
        "com.stripe.net.RequestTelemetry$RequestMetrics",
})
public final class StripeReflection {

    private StripeReflection() {
    }
}
