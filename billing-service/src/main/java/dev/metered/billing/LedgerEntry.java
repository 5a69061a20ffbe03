package dev.metered.billing;

import java.time.OffsetDateTime;

public record LedgerEntry(long id, long amount, String kind, String reference, OffsetDateTime createdAt) {
}
