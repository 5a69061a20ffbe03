package dev.metered.worker;

import static dev.metered.worker.JobFixtures.assertNoLedgerDrift;

import dev.metered.testing.PostgresTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Tests that start worker components by hand: each starts with an empty queue, and ends with
 * its workers stopped and every account equal to its ledger. Subclasses must carry
 * {@code @TestProfile(ManualWorkers.class)} themselves (the app's own worker off): Quarkus reads
 * the profile from the test class, not from a superclass.
 */
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_worker"),
                @ResourceArg(name = "also-migrate", value = "billing,jobs") })
abstract class ManualWorkerTest {

    static final Duration WITHIN = Duration.ofSeconds(20);

    @Inject
    WorkerFactory workers;

    @Inject
    TestClock clock;

    /** Workers a test created; all are stopped after it. */
    final List<Worker> started = new ArrayList<>();

    @BeforeEach
    void emptyQueue() throws Exception {
        JobFixtures.emptyQueue();
    }

    @AfterEach
    void stopWorkersAndCheckTheLedger() throws Exception {
        for (Worker worker : started) {
            if (worker.running()) {
                worker.stop(Duration.ZERO).await().atMost(Duration.ofSeconds(10));
            }
        }
        assertNoLedgerDrift();
    }

    Worker start(String id) {
        return started(workers.create(id));
    }

    /** A worker with concurrency 1 and one job in flight claims nothing more: it stands for a paused one. */
    Worker start(String id, int concurrency) {
        return started(workers.create(id, concurrency));
    }

    private Worker started(Worker worker) {
        started.add(worker);
        worker.start().await().atMost(Duration.ofSeconds(10));
        return worker;
    }
}
