package dev.metered.runtime.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metered.runtime.problem.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class KeysetPageTest {

    private static String encoded(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static void refused(String text) {
        ProblemException refusal = assertThrows(ProblemException.class, () -> KeysetPage.cursor(encoded(text)), text);
        assertEquals(400, refusal.problem().status());
        assertEquals("cursor", refusal.problem().errors().get(0).field());
    }

    @Test
    void aCursorRoundTrips() {
        KeysetPage.Cursor cursor = new KeysetPage.Cursor(OffsetDateTime.parse("2025-03-01T12:00:00.123456Z"), "42");
        assertEquals(cursor, KeysetPage.cursor(cursor.encode()));
        assertNull(KeysetPage.cursor(null));
        assertNull(KeysetPage.cursor(""));
    }

    @Test
    void theTimeMustBeOnePostgresqlTimestamptzHolds() {
        assertEquals(KeysetPage.LATEST, KeysetPage.cursor(encoded("+294276-12-31T23:59:59.999999Z|1")).createdAt().toInstant());
        assertEquals(KeysetPage.EARLIEST, KeysetPage.cursor(encoded("-4713-11-24T00:00:00Z|1")).createdAt().toInstant());
        refused("+294277-01-01T00:00:00Z|1");
        refused("+294276-12-31T23:59:59.9999991Z|1");
        refused("+294276-12-31T23:00:00-01:00|1");
        refused("-4713-11-23T23:59:59.999999Z|1");
        refused("+999999999-12-31T23:59:59Z|1");
        refused("-999999999-01-01T00:00:00Z|1");
    }

    @Test
    void theIdHasNoControlCharacters() {
        for (String id : new String[] { "", "\u0000", "x\u0000", "1\n", "a\tb", "\u007f", "\u0085" }) {
            refused("2025-01-01T00:00:00Z|" + id);
        }
        assertEquals("evt_ünï|code", KeysetPage.cursor(encoded("2025-01-01T00:00:00Z|evt_ünï|code")).id());
    }

    @Test
    void anythingElseIsRefused() {
        for (String value : new String[] { "garbage", "%00", "@@@" }) {
            assertThrows(ProblemException.class, () -> KeysetPage.cursor(value), value);
        }
        refused("2025-01-01|1");
        refused("2025-01-01T00:00:00Z");
    }
}
