package dev.metered.runtime.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A libpq connection URI ({@code postgresql://user:pass@host:port/db?sslmode=require}), the
 * form the runbook's {@code DATABASE_URL} takes, and the Quarkus datasource settings it implies.
 */
public record DatabaseUrl(String host, int port, String database, String user, String password,
                          Map<String, String> parameters) {

    public static DatabaseUrl parse(String value) {
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("DATABASE_URL is not a valid URI: " + e.getReason());
        }
        String scheme = uri.getScheme();
        if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
            throw new IllegalArgumentException(
                    "DATABASE_URL must start with postgresql:// (libpq form), got scheme " + scheme);
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("DATABASE_URL has no host");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String database = decode(path.startsWith("/") ? path.substring(1) : path);
        if (database.isEmpty()) {
            throw new IllegalArgumentException("DATABASE_URL has no database name");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length > 1 ? decode(parts[1]) : null;
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                String[] kv = pair.split("=", 2);
                parameters.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
            }
        }
        return new DatabaseUrl(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, database,
                user, password, Map.copyOf(parameters));
    }

    public String jdbcUrl() {
        return url("jdbc:postgresql://");
    }

    /** The Vert.x client takes libpq URIs, but credentials go in their own properties. */
    public String reactiveUrl() {
        return url("postgresql://");
    }

    private String url(String prefix) {
        String sslmode = parameters.get("sslmode");
        return prefix + hostAndPort() + "/" + database + (sslmode == null ? "" : "?sslmode=" + sslmode);
    }

    /** The Quarkus datasource properties this URL sets. */
    public Map<String, String> quarkusProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("quarkus.datasource.jdbc.url", jdbcUrl());
        properties.put("quarkus.datasource.reactive.url", reactiveUrl());
        if (user != null) {
            properties.put("quarkus.datasource.username", user);
        }
        if (password != null) {
            properties.put("quarkus.datasource.password", password);
        }
        return properties;
    }

    private String hostAndPort() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return h + ":" + port;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "DatabaseUrl[" + user + "@" + hostAndPort() + "/" + database + "]";
    }
}
