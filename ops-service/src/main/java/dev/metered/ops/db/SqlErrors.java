package dev.metered.ops.db;

import dev.metered.runtime.problem.ProblemException;
import io.vertx.pgclient.PgException;

/** The SQLSTATEs of the owners' functions (billing MB…, jobs MJ…) as the answers an operator reads. */
public final class SqlErrors {

    private SqlErrors() {
    }

    /** The problem for a refusal by an owner's function, or the failure unchanged. */
    public static Throwable asProblem(Throwable failure, String notFoundDetail) {
        if (!(failure instanceof PgException pg) || pg.getSqlState() == null) {
            return failure;
        }
        String message = pg.getErrorMessage();
        return switch (pg.getSqlState()) {
            case "MB402" -> ProblemException.paymentRequired("The user's balance does not cover it: " + message + ".");
            case "MB404", "MJ404" -> ProblemException.notFound(notFoundDetail);
            case "MB409", "MJ409" -> ProblemException.conflict("urn:metered:problem:conflict", capitalize(message) + ".");
            case "MB422" -> ProblemException.badRequest(capitalize(message) + ".");
            default -> failure;
        };
    }

    private static String capitalize(String message) {
        return message == null || message.isEmpty() ? "Refused" : Character.toUpperCase(message.charAt(0)) + message.substring(1);
    }
}
