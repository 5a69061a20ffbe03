package dev.metered.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.ops.monitoring.AlertRules;
import dev.metered.ops.monitoring.OpsReads.Sample;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlertRulesTest {

    private static final OffsetDateTime T0 = OffsetDateTime.parse("2026-11-23T10:00:00Z");

    private static List<Sample> samples(long... queued) {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < queued.length; i++) {
            samples.add(new Sample(T0.plusMinutes(i), queued[i], 0));
        }
        return samples;
    }

    @Test
    void growthIsMeasuredFromTheLastFall() {
        assertEquals(10, AlertRules.queueGrowingMinutes(samples(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)));
        assertEquals(3, AlertRules.queueGrowingMinutes(samples(9, 9, 9, 1, 2, 2, 3)));
        assertEquals(0, AlertRules.queueGrowingMinutes(samples(5, 5, 5, 5)));
        assertEquals(0, AlertRules.queueGrowingMinutes(samples(5, 4)));
        assertEquals(0, AlertRules.queueGrowingMinutes(samples(5)));
        assertEquals(0, AlertRules.queueGrowingMinutes(List.of()));
    }

    @Test
    void aGapInTheSamplesEndsTheRun() {
        List<Sample> gap = new ArrayList<>(samples(1, 2, 3));
        gap.add(new Sample(T0.plusMinutes(30), 4, 0));
        gap.add(new Sample(T0.plusMinutes(31), 5, 0));
        assertEquals(1, AlertRules.queueGrowingMinutes(gap));
    }
}
