package dev.metered.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtHandler;

/** The Sentry log handlers installed on the root logger, however deeply Quarkus nests its handlers. */
final class SentryHandlers {

    private SentryHandlers() {
    }

    static List<Handler> installed() {
        List<Handler> found = new ArrayList<>();
        collect(Logger.getLogger("").getHandlers(), found);
        return found;
    }

    private static void collect(Handler[] handlers, List<Handler> found) {
        for (Handler handler : handlers) {
            if (handler.getClass().getName().equals("io.sentry.jul.SentryHandler")) {
                found.add(handler);
            }
            if (handler instanceof ExtHandler nested) {
                collect(nested.getHandlers(), found);
            }
        }
    }
}
