package dev.metered.auth;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.junit.QuarkusTest;
import io.sentry.Sentry;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/** Without SENTRY_DSN (every other test's setup): the Sentry SDK is never initialised, so nothing can be sent. */
@QuarkusTest
class SentryDisabledTest {

    @Test
    void errorsAreLoggedButNoSentryHandlerOrSdkExists() {
        given().queryParam("marker", "no-dsn").get("/test-only/unexpected-failure").then().statusCode(500)
                .contentType("application/problem+json");
        Logger.getLogger(SentryDisabledTest.class).error("an error with no Sentry configured");

        assertFalse(ConfigProvider.getConfig().getValue("quarkus.log.sentry.enabled", Boolean.class));
        assertEquals(List.of(), SentryHandlers.installed());
        assertFalse(Sentry.isEnabled(), "the Sentry SDK was initialised");
    }
}
