package dev.metered.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusScrapeTest {

    private static final String BEFORE = """
            # HELP metered_jobs_submitted_total New jobs
            # TYPE metered_jobs_submitted_total counter
            metered_jobs_submitted_total{type="echo"} 3.0
            http_server_requests_seconds_count{method="GET",outcome="SUCCESS",status="200",uri="/api/jobs/{id}"} 2
            """;
    private static final String AFTER = """
            metered_jobs_submitted_total{type="echo"} 5.0
            metered_jobs_submitted_total{type="video.kling"} 1.0
            http_server_requests_seconds_count{method="GET",outcome="SUCCESS",status="200",uri="/api/jobs/{id}"} 4
            http_server_requests_seconds_count{method="GET",outcome="CLIENT_ERROR",status="404",uri="/a,\\"b\\"\\\\c"} 1
            metered_worker_jobs_in_flight 2.0
            """;

    @Test
    void valuesAreSummedOverTheSeriesWithTheGivenLabels() {
        PrometheusScrape after = PrometheusScrape.of(AFTER);
        assertEquals(6.0, after.value("metered_jobs_submitted_total", Map.of()));
        assertEquals(1.0, after.value("metered_jobs_submitted_total", Map.of("type", "video.kling")));
        assertEquals(5.0, after.value("http_server_requests_seconds_count", Map.of("method", "GET")));
        assertEquals(2.0, after.value("metered_worker_jobs_in_flight", Map.of()));
        assertEquals(0.0, after.value("metered_jobs_refused_total", Map.of()));
    }

    @Test
    void escapedLabelValuesAreRead() {
        assertEquals(1.0, PrometheusScrape.of(AFTER).value("http_server_requests_seconds_count",
                Map.of("uri", "/a,\"b\"\\c")));
    }

    @Test
    void increaseComparesTwoScrapes() {
        PrometheusScrape before = PrometheusScrape.of(BEFORE);
        PrometheusScrape after = PrometheusScrape.of(AFTER);
        assertEquals(2.0, after.increase(before, "metered_jobs_submitted_total", Map.of("type", "echo")));
        assertEquals(1.0, after.increase(before, "metered_jobs_submitted_total", Map.of("type", "video.kling")));
        assertEquals(2.0, after.increase(before, "http_server_requests_seconds_count",
                Map.of("uri", "/api/jobs/{id}", "status", "200")));
    }
}
