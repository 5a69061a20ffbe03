package dev.metered.runtime.paging;

import dev.metered.runtime.json.StorableText;
import dev.metered.runtime.problem.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * Keyset paging on {@code (created_at, id)}, newest first: the {@code limit} parameter and the
 * opaque {@code cursor} that names the last row a page showed. Rows never skip or repeat
 * between pages, however many are inserted meanwhile.
 */
public final class KeysetPage {

    public static final int MAX_LIMIT = 200;

    /** The first and last instants a PostgreSQL timestamptz holds (4714-11-24 BC and 294276-12-31 AD, UTC). */
    static final Instant EARLIEST = Instant.parse("-4713-11-24T00:00:00Z");
    static final Instant LATEST = Instant.parse("+294276-12-31T23:59:59.999999Z");

    private KeysetPage() {
    }

    /** A position in the order: the row a page ended with. */
    public record Cursor(OffsetDateTime createdAt, String id) {

        public String encode() {
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((createdAt + "|" + id).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** {@code limit} from 1 to {@value #MAX_LIMIT}, default 50; 400 otherwise. */
    public static int limit(String value) {
        if (value == null || value.isEmpty()) {
            return 50;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ProblemException.invalidField("limit", "must be a whole number from 1 to " + MAX_LIMIT);
    }

    /**
     * The cursor a previous page returned, or null for the first page; 400 for anything else,
     * including a well-formed one that no row can have produced: a time PostgreSQL cannot store,
     * or an id with control characters (U+0000 included) or unpaired surrogates.
     */
    public static Cursor cursor(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8).split("\\|", 2);
            if (parts.length == 2 && plainId(parts[1])) {
                OffsetDateTime createdAt = OffsetDateTime.parse(parts[0]);
                if (storable(createdAt.toInstant())) {
                    return new Cursor(createdAt, parts[1]);
                }
            }
        } catch (IllegalArgumentException | DateTimeParseException e) {
            // answered below
        }
        throw invalidCursor();
    }

    private static boolean storable(Instant instant) {
        return !instant.isBefore(EARLIEST) && !instant.isAfter(LATEST);
    }

    private static boolean plainId(String id) {
        if (id.isEmpty() || !StorableText.isStorable(id)) {
            return false;
        }
        return id.chars().noneMatch(Character::isISOControl);
    }

    /** Rows fetched with {@code limit + 1}: the first {@code limit}, and the cursor after them when there are more. */
    public record Slice<T>(List<T> rows, String nextCursor) {
    }

    public static <T> Slice<T> slice(List<T> fetched, int limit, Function<T, Cursor> positionOf) {
        if (fetched.size() <= limit) {
            return new Slice<>(fetched, null);
        }
        List<T> shown = fetched.subList(0, limit);
        return new Slice<>(shown, positionOf.apply(shown.get(limit - 1)).encode());
    }

    /** The id of a cursor over a bigint key; 400 when it is not one. */
    public static long longId(Cursor cursor) {
        try {
            return Long.parseLong(cursor.id());
        } catch (NumberFormatException e) {
            throw invalidCursor();
        }
    }

    public static ProblemException invalidCursor() {
        return ProblemException.invalidField("cursor", "is not a cursor this API returned");
    }
}
