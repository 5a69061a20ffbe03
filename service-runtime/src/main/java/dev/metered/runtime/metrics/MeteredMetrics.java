package dev.metered.runtime.metrics;

import java.util.Set;

/**
 * Names and tag values of the domain metrics that more than one service records, so that one
 * Prometheus query (e.g. {@code sum by (kind) (rate(metered_ledger_entries_total[5m]))}) covers
 * them all. Micrometer's dotted names become snake_case in Prometheus, counters with {@code _total}.
 */
public final class MeteredMetrics {

    /** Credits-ledger rows a service's own calls wrote, tagged {@link #KIND}. */
    public static final String LEDGER_ENTRIES = "metered.ledger.entries";
    public static final String KIND = "kind";

    public static final String KIND_HOLD = "hold";
    public static final String KIND_CAPTURE = "capture";
    public static final String KIND_RELEASE = "release";
    public static final String KIND_TOPUP = "topup";
    public static final String KIND_REFUND = "refund";

    /** The tag value for anything outside a tag's known, bounded set of values. */
    public static final String OTHER = "other";

    private MeteredMetrics() {
    }

    /**
     * {@code value} when it is one of {@code known}, else {@link #OTHER}: tag values come from
     * configuration or our own code, never straight from a request, so a series cannot explode.
     */
    public static String bounded(String value, Set<String> known) {
        return value != null && known.contains(value) ? value : OTHER;
    }
}
