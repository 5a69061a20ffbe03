package dev.metered.worker.config;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Random;

/** Time and randomness come from beans so that tests can move the clock and seed the jitter. */
public class TimeSources {

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    @Produces
    @Singleton
    Random jitterSource(WorkerConfig config) {
        return config.retrySeed().map(Random::new).orElseGet(Random::new);
    }
}
