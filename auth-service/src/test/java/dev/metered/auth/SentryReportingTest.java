package dev.metered.auth;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sentry.Sentry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/** With SENTRY_DSN set, ERROR records and unexpected 500s reach Sentry (here a WireMock stand-in) as events. */
@QuarkusTest
@TestProfile(SentryReportingTest.WithSentryDsn.class)
class SentryReportingTest {

    public static class WithSentryDsn implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(SentryFake.class));
        }
    }

    private static final Logger LOG = Logger.getLogger(SentryReportingTest.class);

    private final WireMock sentry = new WireMock("127.0.0.1",
            ConfigProvider.getConfig().getValue(SentryFake.PORT, Integer.class));

    @Test
    void anUnexpectedExceptionIsA500AndAnEventCarryingItsReference() {
        String marker = UUID.randomUUID().toString();
        String detail = given().queryParam("marker", marker).get("/test-only/unexpected-failure").then()
                .statusCode(500).contentType("application/problem+json").extract().path("detail");
        String reference = detail.substring(detail.indexOf("reference ") + "reference ".length(), detail.length() - 1);

        LoggedRequest delivery = awaitEnvelopeContaining(reference);
        String envelope = body(delivery);
        assertTrue(envelope.contains("java.lang") && envelope.contains("IllegalStateException"), envelope);
        assertTrue(envelope.contains("a bug for the tests: " + marker), "the exception's message");
        assertTrue(envelope.contains("\"level\":\"error\""), envelope);
        assertTrue(envelope.contains("\"environment\":\"test\""), "SENTRY_ENVIRONMENT");
        assertTrue(envelope.contains("\"release\":\"metered@test\""), "SENTRY_RELEASE");
        assertTrue(envelope.contains("\"service\":\"auth-service\""), "the service tag");
        assertTrue(delivery.getHeader("X-Sentry-Auth").contains("sentry_key=publickey"), "authenticated with the DSN's key");
    }

    @Test
    void anErrorRecordIsSentByTheOneHandlerTheDsnEnabled() {
        assertTrue(Sentry.isEnabled());
        assertEquals(1, SentryHandlers.installed().size());
        assertEquals(Double.valueOf(0.25), Sentry.getCurrentScopes().getOptions().getTracesSampleRate(),
                "SENTRY_TRACES_SAMPLE_RATE");
        String marker = "metered-sentry-check-" + UUID.randomUUID();
        LOG.errorf("Something failed: %s", marker);
        awaitEnvelopeContaining(marker);
    }

    /** Sentry sends in the background; a few seconds is plenty on loopback. */
    private LoggedRequest awaitEnvelopeContaining(String text) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (LoggedRequest request : sentry.find(postRequestedFor(urlEqualTo(SentryFake.ENVELOPE_PATH)))) {
                if (body(request).contains(text)) {
                    return request;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return fail("no Sentry envelope containing " + text);
    }

    /** The SDK gzips envelopes. */
    private static String body(LoggedRequest request) {
        byte[] bytes = request.getBody();
        if (bytes.length > 1 && bytes[0] == (byte) 0x1f && bytes[1] == (byte) 0x8b) {
            try (GZIPInputStream unzipped = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                bytes = unzipped.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
