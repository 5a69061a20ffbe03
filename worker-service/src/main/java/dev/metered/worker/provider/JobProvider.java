package dev.metered.worker.provider;

import dev.metered.worker.queue.ClaimedJob;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;

/** Does the work of one attempt of a job; fails with {@link ProviderFailure} to say whether a retry may help. */
public interface JobProvider {

    String name();

    Uni<JsonObject> run(ClaimedJob job);
}
