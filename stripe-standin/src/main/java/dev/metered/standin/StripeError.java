package dev.metered.standin;

/** A failure answered in Stripe's error shape: {@code {"error":{"type":..,"message":..}}}. */
final class StripeError extends RuntimeException {
  final int status;
  final String type;
  final String code;
  final String param;

  StripeError(int status, String type, String code, String param, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }

  static StripeError invalid(String param, String message) {
    return new StripeError(400, "invalid_request_error", null, param, message);
  }

  static StripeError missing(String param) {
    return new StripeError(400, "invalid_request_error", "parameter_missing", param,
        "Missing required param: " + param + ".");
  }

  static StripeError notFound(String objectName, String id) {
    return new StripeError(404, "invalid_request_error", "resource_missing", "id",
        "No such " + objectName + ": '" + id + "'");
  }

  static StripeError unauthorized(String message) {
    return new StripeError(401, "invalid_request_error", null, null, message);
  }
}
