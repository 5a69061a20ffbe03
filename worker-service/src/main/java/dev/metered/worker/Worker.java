package dev.metered.worker;

import dev.metered.runtime.db.ChannelListener;
import dev.metered.worker.execute.JobExecutor;
import dev.metered.worker.heartbeat.HeartbeatStore;
import dev.metered.worker.metrics.WorkerMetrics;
import dev.metered.worker.queue.ClaimedJob;
import dev.metered.worker.queue.JobQueue;
import dev.metered.worker.rescue.StaleJobRescuer;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * One worker identity: claims jobs while it has room (woken by NOTIFY, a poll, or a finished
 * job), executes them, renews their leases, beats, rescues stale jobs, and on stop hands back
 * what could not finish in the grace period.
 */
public class Worker {

    /** What a Worker needs; built by {@link WorkerFactory}. */
    public record Settings(String id, int concurrency, int batchSize, Duration pollInterval, int leaseSeconds,
                           Duration heartbeatInterval, Duration rescueInterval) {
    }

    private static final Logger LOG = Logger.getLogger(Worker.class);

    private final Settings settings;
    private final Vertx vertx;
    private final Clock clock;
    private final JobQueue queue;
    private final JobExecutor executor;
    private final HeartbeatStore heartbeats;
    private final StaleJobRescuer rescuer;
    private final WorkerMetrics metrics;
    private final Function<Runnable, ChannelListener> listenerFactory;

    private final Map<UUID, ClaimedJob> inFlight = new ConcurrentHashMap<>();
    private final AtomicBoolean claiming = new AtomicBoolean();
    private final AtomicBoolean wakeRequested = new AtomicBoolean();
    /** A claim failed: it may have committed with its answer lost, leasing jobs to us that we do not run. */
    private final AtomicBoolean claimAnswerMayBeLost = new AtomicBoolean();
    private final List<Long> timers = new CopyOnWriteArrayList<>();
    private final List<Consumer<ClaimedJob>> onExecute = new CopyOnWriteArrayList<>();
    private final Map<JobExecutor.Outcome, Long> outcomes = new ConcurrentHashMap<>();
    private volatile boolean running;
    private volatile boolean halted;
    private volatile ChannelListener listener;

    Worker(Settings settings, Vertx vertx, Clock clock, JobQueue queue, JobExecutor executor, HeartbeatStore heartbeats,
           StaleJobRescuer rescuer, WorkerMetrics metrics, Function<Runnable, ChannelListener> listenerFactory) {
        this.settings = settings;
        this.vertx = vertx;
        this.clock = clock;
        this.queue = queue;
        this.executor = executor;
        this.heartbeats = heartbeats;
        this.rescuer = rescuer;
        this.metrics = metrics;
        this.listenerFactory = listenerFactory;
    }

    public String id() {
        return settings.id();
    }

    public boolean running() {
        return running;
    }

    /** Frees this id's leftover jobs and expired leases, writes the heartbeat, then starts listening and claiming. */
    public Uni<Void> start() {
        return heartbeats.started(id(), clock.instant())
                .flatMap(ignored -> rescuer.rescueOnStart(id()))
                .invoke(ignored -> {
                    running = true;
                    listener = listenerFactory.apply(this::wake);
                    listener.start();
                    every(settings.pollInterval(), this::wake);
                    every(settings.heartbeatInterval(), () -> beat().subscribe().with(v -> { }, this::logFailure));
                    every(Duration.ofSeconds(Math.max(1, settings.leaseSeconds() / 3)),
                            () -> renewLeases().subscribe().with(v -> { }, this::logFailure));
                    every(settings.rescueInterval(), () -> rescuer.rescue(id()).subscribe().with(v -> { }, this::logFailure));
                    LOG.infof("Worker %s started: concurrency %d, lease %d s", id(), settings.concurrency(),
                            settings.leaseSeconds());
                    wake();
                })
                .replaceWithVoid();
    }

    /** Claims as many jobs as there is room for, again while batches come back full or wake-ups arrived meanwhile. */
    public void wake() {
        if (!running) {
            return;
        }
        wakeRequested.set(true);
        if (!claiming.compareAndSet(false, true)) {
            return;
        }
        wakeRequested.set(false);
        int room = settings.concurrency() - inFlight.size();
        if (room <= 0) {
            claiming.set(false);
            return;
        }
        int limit = Math.min(settings.batchSize(), room);
        handBackUnheldIfNeeded()
                .flatMap(ignored -> queue.claim(id(), limit, settings.leaseSeconds(), clock.instant()))
                .subscribe().with(jobs -> {
                    metrics.claimed(jobs.size());
                    jobs.forEach(job -> {
                        if (inFlight.put(job.id(), job) == null) {
                            metrics.started();
                        }
                    });
                    claiming.set(false);
                    jobs.forEach(this::execute);
                    if (jobs.size() == limit || wakeRequested.get()) {
                        wake();
                    }
                }, failure -> {
                    claimAnswerMayBeLost.set(true);
                    claiming.set(false);
                    logFailure(failure);
                });
    }

    /** Runs only while this worker claims, so every job it holds is in {@code inFlight}. */
    private Uni<Integer> handBackUnheldIfNeeded() {
        if (!claimAnswerMayBeLost.getAndSet(false)) {
            return Uni.createFrom().item(0);
        }
        return queue.handBackUnheld(id(), Set.copyOf(inFlight.keySet()), clock.instant()).invoke(handed -> {
            if (handed > 0) {
                LOG.warnf("Worker %s handed back %d jobs a claim leased to it without its answer arriving", id(), handed);
            }
        });
    }

    /** For tests: as after a failed claim. */
    void claimAnswerMayBeLost() {
        claimAnswerMayBeLost.set(true);
    }

    private void execute(ClaimedJob job) {
        onExecute.forEach(observer -> observer.accept(job));
        executor.execute(id(), job, () -> halted).subscribe().with(outcome -> {
            outcomes.merge(outcome, 1L, Long::sum);
            leave(job);
            wake();
        }, failure -> {
            leave(job);
            LOG.errorf(failure, "Worker %s could not settle job %s; its lease will expire and it will be recovered",
                    id(), job.id());
            wake();
        });
    }

    private void leave(ClaimedJob job) {
        if (inFlight.remove(job.id()) != null) {
            metrics.left();
        }
    }

    /** Extends the leases of the jobs in flight; a job missing from the answer was taken over. */
    public Uni<Void> renewLeases() {
        Set<UUID> held = Set.copyOf(inFlight.keySet());
        if (held.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return queue.renewLeases(id(), held, settings.leaseSeconds(), clock.instant()).invoke(renewed -> {
            if (renewed.size() < held.size()) {
                LOG.warnf("Worker %s lost the leases of %d jobs", id(), held.size() - renewed.size());
            }
        }).replaceWithVoid();
    }

    public Uni<Void> beat() {
        return heartbeats.beat(id(), clock.instant(), inFlight.size());
    }

    /**
     * Stops claiming, waits up to {@code grace} for the jobs in flight, then hands the rest back
     * (their attempt does not count); a result arriving later is fenced off.
     */
    public Uni<Integer> stop(Duration grace) {
        stopLoops();
        long deadline = System.nanoTime() + grace.toNanos();
        return Uni.createFrom().<Void>emitter(emitter -> {
            if (inFlight.isEmpty()) {
                emitter.complete(null);
                return;
            }
            long timer = vertx.setPeriodic(20, id -> {
                if (inFlight.isEmpty() || System.nanoTime() >= deadline) {
                    vertx.cancelTimer(id);
                    emitter.complete(null);
                }
            });
            emitter.onTermination(() -> vertx.cancelTimer(timer));
        }).flatMap(ignored -> {
            List<UUID> unfinished = new ArrayList<>(inFlight.keySet());
            if (unfinished.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            return queue.handBack(id(), unfinished, clock.instant()).invoke(handed ->
                    LOG.infof("Worker %s handed back %d of %d unfinished jobs", id(), handed, unfinished.size()));
        }).call(ignored -> beat());
    }

    /** A crash, for tests: everything stops, nothing is handed back or settled. */
    public void halt() {
        halted = true;
        stopLoops();
    }

    private void stopLoops() {
        running = false;
        timers.forEach(vertx::cancelTimer);
        timers.clear();
        ChannelListener current = listener;
        if (current != null) {
            current.close();
        }
    }

    public int inFlight() {
        return inFlight.size();
    }

    public long count(JobExecutor.Outcome outcome) {
        return outcomes.getOrDefault(outcome, 0L);
    }

    /** Called with every attempt this worker starts, before its provider runs. */
    public void onExecute(Consumer<ClaimedJob> observer) {
        onExecute.add(observer);
    }

    /** How long the LISTEN connection has been down (zero when up or not started). */
    public Duration listenerDownFor() {
        ChannelListener current = listener;
        return current == null || !running ? Duration.ZERO : current.downFor();
    }

    private void every(Duration interval, Runnable action) {
        timers.add(vertx.setPeriodic(Math.max(1, interval.toMillis()), id -> action.run()));
    }

    private void logFailure(Throwable failure) {
        LOG.warnf("Worker %s: %s", id(), failure.getMessage());
    }
}
