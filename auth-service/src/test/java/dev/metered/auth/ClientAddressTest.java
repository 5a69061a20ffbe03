package dev.metered.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.auth.security.ClientAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressTest {

    private final ClientAddress behindGateway = new ClientAddress(List.of("127.0.0.1/32", "::1/128", "10.0.0.0/8"));

    @Test
    void anUntrustedPeerIsTheClientWhateverItClaims() {
        assertEquals("203.0.113.7", behindGateway.resolve("203.0.113.7", "198.51.100.1"));
    }

    @Test
    void behindTrustedProxiesTheRightMostUntrustedHopIsTheClient() {
        assertEquals("198.51.100.1", behindGateway.resolve("127.0.0.1", "198.51.100.1"));
        assertEquals("198.51.100.1", behindGateway.resolve("127.0.0.1", "6.6.6.6, 198.51.100.1"));
        assertEquals("198.51.100.1", behindGateway.resolve("10.1.2.3", "6.6.6.6, 198.51.100.1, 10.9.9.9"));
        assertEquals("2001:db8:0:0:0:0:0:1", behindGateway.resolve("::1", "2001:db8::1"));
    }

    @Test
    void aMissingOrGarbledChainFallsBackToThePeer() {
        assertEquals("127.0.0.1", behindGateway.resolve("127.0.0.1", null));
        assertEquals("127.0.0.1", behindGateway.resolve("127.0.0.1", "   "));
        assertEquals("127.0.0.1", behindGateway.resolve("127.0.0.1", "evil.example, unknown"));
        assertEquals("10.0.0.1", behindGateway.resolve("10.0.0.1", "10.0.0.2"));
    }

    @Test
    void hostNamesAreNeverLookedUp() {
        assertEquals("127.0.0.1", behindGateway.resolve("127.0.0.1", "localhost"));
    }
}
