package dev.metered.billing.service;

import dev.metered.billing.config.BillingConfig;
import dev.metered.billing.repository.WebhookEventRepository;
import dev.metered.runtime.db.ChannelListener;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Serves operators' reprocess requests (ops-service calls billing.request_webhook_reprocess,
 * which marks the event and notifies this channel): applies the stored event again through the
 * same exactly-once path as a delivery from Stripe. Requests made while no billing-service was
 * listening are found by a sweep after every (re)connection and at a fixed interval. Several
 * replicas may pick the same request: the event's row lock makes the later ones find it done.
 */
@ApplicationScoped
public class WebhookReprocessor {

    public static final String CHANNEL = "billing_webhook_reprocess";
    private static final Logger LOG = Logger.getLogger(WebhookReprocessor.class);
    private static final int SWEEP_BATCH = 100;

    private final WebhookEventRepository events;
    private final StripeEventProcessor processor;
    private final Vertx vertx;
    private final String listenDatabaseUrl;
    private final Duration sweepInterval;
    private ChannelListener listener;
    private long sweepTimer = -1;

    public WebhookReprocessor(WebhookEventRepository events, StripeEventProcessor processor, Vertx vertx,
                              @ConfigProperty(name = "metered.db.listen-url") String listenDatabaseUrl, BillingConfig config) {
        this.events = events;
        this.processor = processor;
        this.vertx = vertx;
        this.listenDatabaseUrl = listenDatabaseUrl;
        this.sweepInterval = config.reprocess().sweepInterval();
    }

    void start(@Observes StartupEvent started) {
        listener = new ChannelListener(vertx.getDelegate(),
                ChannelListener.connectOptions(listenDatabaseUrl, "metered-billing-reprocess"), CHANNEL,
                eventId -> reprocess(eventId).subscribe().with(ignored -> { }, this::logUnexpected),
                () -> sweep().subscribe().with(ignored -> { }, this::logUnexpected));
        listener.start();
        sweepTimer = vertx.setPeriodic(sweepInterval.toMillis(),
                id -> sweep().subscribe().with(ignored -> { }, this::logUnexpected));
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (sweepTimer >= 0) {
            vertx.cancelTimer(sweepTimer);
        }
        if (listener != null) {
            listener.close();
        }
    }

    /** Applies the event if a request for it is still open; a failure stays recorded on the event. */
    Uni<Void> reprocess(String eventId) {
        return events.requestedForReprocessing(eventId).chain(event -> {
            if (event == null) {
                return Uni.createFrom().voidItem();
            }
            LOG.infof("reprocessing Stripe event %s (%s) on an operator's request", eventId, event.type());
            return processor.apply(event.eventId(), event.type(), event.payload())
                    .replaceWithVoid()
                    .onFailure().recoverWithUni(failure -> Uni.createFrom().voidItem());
        });
    }

    Uni<Void> sweep() {
        return events.allRequestedForReprocessing(SWEEP_BATCH)
                .onItem().transformToMulti(ids -> Multi.createFrom().iterable(ids))
                .onItem().transformToUniAndConcatenate(this::reprocess)
                .collect().last().replaceWithVoid();
    }

    private void logUnexpected(Throwable failure) {
        LOG.warnf("webhook reprocessing: %s", failure.getMessage());
    }
}
