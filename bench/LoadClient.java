// Open-loop load client for POST /api/jobs: sends at a fixed rate whatever the answers take
// (latency is measured from the intended send time, so a stall is not hidden), then prints
// the achieved rate, status counts and latency percentiles, and writes one line per created job
// ("<job_id> <epoch seconds of the 2xx>") to the output file.
// Run with the JDK's source launcher:
//   java bench/LoadClient.java <url> <token[,token…]: used in turn> <rate per s> <seconds> <out file> [key prefix]
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class LoadClient {
    private static final Pattern JOB_ID = Pattern.compile("\"job_id\"\\s*:\\s*\"([0-9a-f-]{36})\"");

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        String[] tokens = args[1].split(",");
        double rate = Double.parseDouble(args[2]);
        double seconds = Double.parseDouble(args[3]);
        Path out = Path.of(args[4]);
        String prefix = args.length > 5 ? args[5] : "lc-" + System.nanoTime();
        int total = (int) Math.round(rate * seconds);
        long periodNanos = (long) (1e9 / rate);
        String body = "{\"type\":\"echo\",\"input\":{\"simulate\":{\"latency_ms\":0}}}";

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        long[] latencies = new long[total];
        Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<String> created = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(total);

        long start = System.nanoTime() + 200_000_000L;
        for (int i = 0; i < total; i++) {
            long intended = start + i * periodNanos;
            long wait;
            while ((wait = intended - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            final int n = i;
            HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + tokens[i % tokens.length]).header("Content-Type", "application/json")
                    .header("Idempotency-Key", prefix + "-" + i)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                long now = System.nanoTime();
                latencies[n] = now - intended;
                String key = error != null ? "error:" + error.getClass().getSimpleName() : String.valueOf(response.statusCode());
                statuses.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                if (error == null && response.statusCode() / 100 == 2) {
                    Matcher m = JOB_ID.matcher(response.body());
                    if (m.find()) {
                        created.add(m.group(1) + " " + (System.currentTimeMillis() / 1000.0));
                    }
                }
                done.countDown();
            });
        }
        long sentNanos = System.nanoTime() - start;
        done.await(60, TimeUnit.SECONDS);
        Files.write(out, created);

        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        int ok = statuses.entrySet().stream().filter(e -> e.getKey().startsWith("2"))
                .mapToInt(e -> e.getValue().get()).sum();
        System.out.printf("open-loop target=%.0f/s sent=%d achieved_send_rate=%.1f/s ok_2xx=%d errors=%d error_rate=%.2f%% "
                        + "p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f statuses=%s%n",
                rate, total, total / (sentNanos / 1e9), ok, total - ok, 100.0 * (total - ok) / total,
                pct(sorted, 50), pct(sorted, 90), pct(sorted, 99), sorted[sorted.length - 1] / 1e6, statuses);
        System.exit(0);
    }

    private static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
