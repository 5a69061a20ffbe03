package dev.metered.billing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.stripe.model.StripeError;
import com.stripe.model.checkout.Session;
import com.stripe.param.checkout.SessionCreateParams;
import dev.metered.billing.stripe.StripeReflection;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@link StripeReflection} complete without a native build: walks the classes Gson reaches
 * from what billing-service sends to and reads from Stripe, field by field as Gson binds them, and
 * checks that each is registered (itself or through its outer class).
 */
class StripeReflectionTest {

    /** What StripeCheckout writes and reads, and the request timings stripe-java sends along. */
    private static final List<Class<?>> ROOTS = List.of(Session.class, SessionCreateParams.class, StripeError.class,
            telemetry());

    /** Read by stripe-java's own adapters, not by Gson's field reflection. */
    private static final Set<String> CUSTOM_ADAPTERS = Set.of("com.stripe.model.ExpandableField",
            "com.stripe.model.StripeRawJsonObject", "com.stripe.model.PaymentSource");

    /** Only in a StripeError of a failed payment, never in an answer to creating a Checkout Session. */
    private static final Set<String> NOT_RETURNED_TO_US = Set.of("com.stripe.model.PaymentIntent",
            "com.stripe.model.PaymentMethod", "com.stripe.model.SetupIntent");

    @Test
    void everyClassGsonReachesFromOurStripeCallsIsRegistered() {
        Set<Class<?>> reached = reached();
        RegisterForReflection registration = StripeReflection.class.getAnnotation(RegisterForReflection.class);
        Set<String> registered = new TreeSet<>(Arrays.asList(registration.classNames()));
        Arrays.stream(registration.targets()).forEach(c -> registered.add(c.getName()));

        Set<String> missing = new TreeSet<>();
        for (Class<?> type : reached) {
            if (!registered.contains(outermost(type).getName()) && !registered.contains(type.getName())) {
                missing.add(type.getName());
            }
        }
        assertEquals(Set.of(), missing, "add the outer classes of these to StripeReflection");
        assertTrue(reached.size() > 300, "the walk found only " + reached.size() + " classes: is it still walking?");
    }

    @Test
    void nothingIsRegisteredThatOurCallsDoNotReach() {
        Set<String> reachedNames = new TreeSet<>();
        reached().forEach(type -> {
            reachedNames.add(type.getName());
            reachedNames.add(outermost(type).getName());
        });
        RegisterForReflection registration = StripeReflection.class.getAnnotation(RegisterForReflection.class);
        for (Class<?> target : registration.targets()) {
            assertTrue(reachedNames.contains(target.getName()), target.getName() + " is registered but never reached");
        }
        for (String name : registration.classNames()) {
            assertTrue(reachedNames.contains(name), name + " is registered but never reached");
        }
    }

    private static Class<?> telemetry() {
        try {
            return Class.forName("com.stripe.net.RequestTelemetry$ClientTelemetryPayload"); // package-private
        } catch (ClassNotFoundException e) {
            throw new AssertionError("stripe-java no longer has RequestTelemetry's payload: review StripeReflection", e);
        }
    }

    private static Set<Class<?>> reached() {
        Set<Class<?>> reached = new LinkedHashSet<>();
        ROOTS.forEach(root -> walk(root, reached));
        return reached;
    }

    private static void walk(Type type, Set<Class<?>> reached) {
        if (type instanceof ParameterizedType parameterized) {
            walk(parameterized.getRawType(), reached);
            if (!CUSTOM_ADAPTERS.contains(((Class<?>) parameterized.getRawType()).getName())) {
                for (Type argument : parameterized.getActualTypeArguments()) {
                    walk(argument, reached);
                }
            }
        } else if (type instanceof GenericArrayType array) {
            walk(array.getGenericComponentType(), reached);
        } else if (type instanceof WildcardType wildcard) {
            Arrays.stream(wildcard.getUpperBounds()).forEach(bound -> walk(bound, reached));
        } else if (type instanceof Class<?> raw) {
            if (raw.isArray()) {
                walk(raw.getComponentType(), reached);
                return;
            }
            if (raw.isPrimitive() || raw.getName().startsWith("java.") || CUSTOM_ADAPTERS.contains(raw.getName())
                    || NOT_RETURNED_TO_US.contains(raw.getName()) || !reached.add(raw)) {
                return;
            }
            // a StripeCollection subclass names its item type only in its superclass
            walk(raw.getGenericSuperclass(), reached);
            for (Field field : raw.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                if (!Modifier.isStatic(modifiers) && !Modifier.isTransient(modifiers)) { // Gson skips both
                    walk(field.getGenericType(), reached);
                }
            }
        }
    }

    private static Class<?> outermost(Class<?> type) {
        Class<?> outer = type;
        while (outer.getEnclosingClass() != null) {
            outer = outer.getEnclosingClass();
        }
        return outer;
    }
}
