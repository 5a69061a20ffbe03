package dev.metered.runtime.origin;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OriginAllowlistTest {

    private final OriginAllowlist strict = new OriginAllowlist(List.of("https://app.example.com", " https://Admin.Example.com:8443/ "),
            false, false);
    private final OriginAllowlist relaxed = new OriginAllowlist(List.of(), true, true);

    @Test
    void listedOriginsMatchOnSchemeHostAndPort() {
        assertTrue(strict.allowsOrigin("https://app.example.com"));
        assertTrue(strict.allowsOrigin("https://APP.example.com:443"));
        assertTrue(strict.allowsOrigin("https://admin.example.com:8443"));
        assertFalse(strict.allowsOrigin("http://app.example.com"));
        assertFalse(strict.allowsOrigin("https://app.example.com:8443"));
        assertFalse(strict.allowsOrigin("https://app.example.com.evil.test"));
        assertFalse(strict.allowsOrigin("https://evil.test"));
    }

    @Test
    void localhostAndNullOnlyWhenSwitchedOn() {
        assertFalse(strict.allowsOrigin("http://localhost:3000"));
        assertFalse(strict.allowsOrigin("null"));
        assertTrue(relaxed.allowsOrigin("http://localhost:3000"));
        assertTrue(relaxed.allowsOrigin("http://127.0.0.1:5173"));
        assertTrue(relaxed.allowsOrigin("http://[::1]:8080"));
        assertTrue(relaxed.allowsOrigin("null"));
        assertFalse(relaxed.allowsOrigin("http://localhost.evil.test"));
    }

    @Test
    void redirectUrlsAreJudgedByTheirOrigin() {
        assertTrue(strict.allowsUrl("https://app.example.com/billing/success?session={CHECKOUT_SESSION_ID}"));
        assertFalse(strict.allowsUrl("https://evil.test/https://app.example.com/"));
        assertFalse(strict.allowsUrl("https://app.example.com@evil.test/"));
        assertFalse(strict.allowsUrl("javascript:alert(1)"));
        assertFalse(strict.allowsUrl("//evil.test/path"));
        assertFalse(strict.allowsUrl(null));
    }

    @Test
    void garbageIsNeverAllowed() {
        for (String origin : new String[] { "", " ", "garbage", "file://", "https://", "ftp://app.example.com" }) {
            assertFalse(relaxed.allowsOrigin(origin), origin);
            assertFalse(strict.allowsOrigin(origin), origin);
        }
    }
}
