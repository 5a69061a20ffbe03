package dev.metered.billing.rest;

import dev.metered.billing.LedgerEntry;
import dev.metered.runtime.problem.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/** An opaque page cursor: the (created_at, id) of the last entry a page showed. */
record LedgerCursor(OffsetDateTime createdAt, long id) {

    static LedgerCursor after(LedgerEntry last) {
        return new LedgerCursor(last.createdAt(), last.id());
    }

    String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((createdAt + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    static LedgerCursor decode(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", 2);
            return new LedgerCursor(OffsetDateTime.parse(parts[0]), Long.parseLong(parts[1]));
        } catch (IllegalArgumentException | DateTimeParseException | ArrayIndexOutOfBoundsException e) {
            throw ProblemException.invalidField("cursor", "is not a cursor this API returned");
        }
    }
}
