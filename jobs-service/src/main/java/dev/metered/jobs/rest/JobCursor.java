package dev.metered.jobs.rest;

import dev.metered.jobs.Job;
import dev.metered.runtime.problem.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

/** An opaque page cursor: the (created_at, id) of the last job a page showed. */
record JobCursor(OffsetDateTime createdAt, UUID id) {

    static JobCursor after(Job last) {
        return new JobCursor(last.createdAt(), last.id());
    }

    String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((createdAt + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    static JobCursor decode(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", 2);
            return new JobCursor(OffsetDateTime.parse(parts[0]), UUID.fromString(parts[1]));
        } catch (IllegalArgumentException | DateTimeParseException | ArrayIndexOutOfBoundsException e) {
            throw ProblemException.invalidField("cursor", "is not a cursor this API returned");
        }
    }
}
