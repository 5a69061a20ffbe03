package dev.metered.runtime.origin;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides whether a browser origin (or a URL's origin, for redirects) is trusted: listed
 * explicitly, or a localhost origin when {@code ALLOW_LOCALHOST_ORIGINS}, or the opaque
 * {@code null} origin when {@code ALLOW_NULL_ORIGIN}. Comparison is on scheme, host and port.
 */
public final class OriginAllowlist {

    private final Set<String> allowed;
    private final boolean allowLocalhost;
    private final boolean allowNull;

    public OriginAllowlist(Collection<String> allowed, boolean allowLocalhost, boolean allowNull) {
        this.allowed = allowed.stream().map(String::trim).filter(s -> !s.isEmpty())
                .map(OriginAllowlist::normalize).flatMap(Optional::stream).collect(Collectors.toSet());
        this.allowLocalhost = allowLocalhost;
        this.allowNull = allowNull;
    }

    public boolean allowsOrigin(String origin) {
        if (origin == null) {
            return false;
        }
        if ("null".equals(origin.trim())) {
            return allowNull;
        }
        return normalize(origin).map(this::allowsNormalized).orElse(false);
    }

    /** For redirect targets: an absolute http(s) URL whose origin is allowed. */
    public boolean allowsUrl(String url) {
        if (url == null) {
            return false;
        }
        // only scheme and authority matter; the rest may hold templates like {CHECKOUT_SESSION_ID}
        int schemeEnd = url.indexOf("://");
        if (schemeEnd < 0) {
            return false;
        }
        int authorityEnd = schemeEnd + 3;
        while (authorityEnd < url.length() && "/?#".indexOf(url.charAt(authorityEnd)) < 0) {
            authorityEnd++;
        }
        return normalize(url.substring(0, authorityEnd)).map(this::allowsNormalized).orElse(false);
    }

    private boolean allowsNormalized(String origin) {
        return allowed.contains(origin) || allowLocalhost && isLocalhost(origin);
    }

    private static boolean isLocalhost(String origin) {
        String host = URI.create(origin).getHost();
        return host.equals("localhost") || host.endsWith(".localhost") || host.equals("127.0.0.1")
                || host.equals("[::1]");
    }

    /** {@code scheme://host[:port]} in lower case with default ports dropped, or empty if not http(s). */
    static Optional<String> normalize(String value) {
        try {
            URI uri = new URI(value.trim());
            String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!"http".equals(scheme) && !"https".equals(scheme) || uri.getHost() == null
                    || uri.getRawUserInfo() != null) {
                return Optional.empty();
            }
            int port = uri.getPort();
            boolean defaultPort = port == -1 || scheme.equals("http") && port == 80
                    || scheme.equals("https") && port == 443;
            return Optional.of(scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT)
                    + (defaultPort ? "" : ":" + port));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }
}
