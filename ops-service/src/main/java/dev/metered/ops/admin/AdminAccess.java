package dev.metered.ops.admin;

import dev.metered.ops.config.OpsConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jboss.logging.Logger;

/**
 * The ADMIN_TOKEN check. Digests are compared, in constant time, so that neither the token's
 * content nor its length shows in the timing. A token shorter than {@value #MIN_TOKEN_LENGTH}
 * characters is treated as no token: admin access stays off rather than guessable.
 */
@ApplicationScoped
public class AdminAccess {

    static final int MIN_TOKEN_LENGTH = 24;
    private static final Logger LOG = Logger.getLogger(AdminAccess.class);

    private final byte[] expectedDigest;

    public AdminAccess(OpsConfig config) {
        String token = config.adminToken().map(String::trim).orElse("");
        this.expectedDigest = token.length() >= MIN_TOKEN_LENGTH ? sha256(token) : null;
    }

    void warnWhenOff(@Observes StartupEvent started) {
        if (expectedDigest == null) {
            LOG.errorf("ADMIN_TOKEN is unset or shorter than %d characters: every /api/ops call is refused",
                    MIN_TOKEN_LENGTH);
        }
    }

    public boolean accepts(String presented) {
        return expectedDigest != null && presented != null && MessageDigest.isEqual(expectedDigest, sha256(presented));
    }

    /** Names the token in the audit log without revealing it: the first 12 hex digits of its SHA-256. */
    public static String fingerprint(String token) {
        return HexFormat.of().formatHex(sha256(token)).substring(0, 12);
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
