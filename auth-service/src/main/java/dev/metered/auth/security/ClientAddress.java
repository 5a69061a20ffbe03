package dev.metered.auth.security;

import dev.metered.auth.config.AuthConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * The address a request really came from: the direct peer, unless that peer is a trusted proxy,
 * in which case the right-most X-Forwarded-For entry not itself a trusted proxy. Entries further
 * left were written by the client and prove nothing, so a spoofed header cannot dodge a limit.
 */
@Singleton
public class ClientAddress {

    private final List<Cidr> trustedProxies;

    @Inject
    public ClientAddress(AuthConfig config) {
        this(config.trustedProxies());
    }

    public ClientAddress(List<String> trustedProxies) {
        this.trustedProxies = trustedProxies.stream().map(String::trim).filter(s -> !s.isEmpty())
                .map(Cidr::parse).toList();
    }

    public String resolve(String directPeer, String forwardedFor) {
        if (!isTrusted(directPeer) || forwardedFor == null || forwardedFor.isBlank()) {
            return directPeer;
        }
        String[] hops = forwardedFor.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            Optional<InetAddress> address = literal(hop);
            if (address.isEmpty()) {
                return directPeer; // garbage in the chain: fall back to what we can see
            }
            if (!isTrusted(hop)) {
                return address.get().getHostAddress();
            }
        }
        return directPeer;
    }

    boolean isTrusted(String address) {
        Optional<InetAddress> parsed = literal(address);
        return parsed.isPresent() && trustedProxies.stream().anyMatch(c -> c.contains(parsed.get()));
    }

    /** Parses an IP literal without ever doing a DNS lookup. */
    static Optional<InetAddress> literal(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.trim();
        if (v.startsWith("[") && v.endsWith("]")) {
            v = v.substring(1, v.length() - 1);
        }
        boolean ipv4 = v.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean ipv6 = v.contains(":") && v.matches("[0-9a-fA-F:.]+");
        if (!ipv4 && !ipv6) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(v));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    record Cidr(byte[] network, int prefix) {
        static Cidr parse(String value) {
            String[] parts = value.split("/", 2);
            InetAddress address = literal(parts[0])
                    .orElseThrow(() -> new IllegalArgumentException("not an IP address or CIDR: " + value));
            int bits = address.getAddress().length * 8;
            int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : bits;
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("bad prefix length in " + value);
            }
            return new Cidr(address.getAddress(), prefix);
        }

        boolean contains(InetAddress address) {
            byte[] candidate = address.getAddress();
            if (candidate.length != network.length) {
                return false;
            }
            int shift = network.length * 8 - prefix;
            return new BigInteger(1, candidate).shiftRight(shift).equals(new BigInteger(1, network).shiftRight(shift));
        }
    }
}
