package dev.metered.standin;

import java.io.IOException;
import java.net.BindException;

/** {@code java -jar stripe-standin.jar}: configured by the environment (see StandInConfig). */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws IOException {
    StandInConfig config;
    try {
      config = StandInConfig.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("stripe-standin: " + e.getMessage());
      System.exit(2);
      return;
    }
    StripeStandIn standIn;
    try {
      standIn = StripeStandIn.start(config, System.out);
    } catch (BindException e) {
      System.err.println("stripe-standin: cannot listen on 127.0.0.1:" + config.port() + ": "
          + e.getMessage() + " (set STRIPE_STANDIN_PORT to another port)");
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(standIn::close, "stripe-standin-stop"));
    System.out.printf("stripe-standin: Stripe API on %s (test keys sk_test_...), sessions paid at "
        + "%s/pay/<session id>, events sent to %s%n",
        standIn.apiBase(), standIn.publicUrl(), config.webhookUrl());
  }
}
