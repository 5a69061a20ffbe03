package dev.metered.ops.admin;

import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.RequestScoped;

/** What an admin call did, beyond its method, path and status, for its audit row. */
@RequestScoped
public class AuditNote {

    private JsonObject detail;

    public void detail(JsonObject detail) {
        this.detail = detail;
    }

    JsonObject detail() {
        return detail;
    }
}
