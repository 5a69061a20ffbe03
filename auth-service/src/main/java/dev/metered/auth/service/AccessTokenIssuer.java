package dev.metered.auth.service;

import dev.metered.auth.User;
import dev.metered.auth.config.AuthConfig;
import dev.metered.auth.security.SigningKeys;
import dev.metered.runtime.security.AccessTokenOnly;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.build.Jwt;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/** Signs short-lived RS256 access tokens; the {@code kid} header names the key in the JWKS. */
@Singleton
public class AccessTokenIssuer {

    private final AuthConfig config;
    private final SigningKeys keys;

    public AccessTokenIssuer(AuthConfig config, SigningKeys keys) {
        this.config = config;
        this.keys = keys;
    }

    public String issue(User user) {
        Instant now = Instant.now();
        return Jwt.issuer(config.jwt().issuer())
                .audience(config.jwt().audience())
                .subject(user.id().toString())
                .upn(user.email())
                .claim("email", user.email())
                .claim(AccessTokenOnly.TOKEN_USE_CLAIM, AccessTokenOnly.ACCESS)
                .claim("jti", UUID.randomUUID().toString())
                .groups(Set.of("user"))
                .issuedAt(now)
                .expiresAt(now.plus(config.jwt().accessTokenTtl()))
                .jws()
                .algorithm(SignatureAlgorithm.RS256)
                .keyId(keys.active().keyId())
                .sign(keys.active().privateKey());
    }

    public long lifetimeSeconds() {
        return config.jwt().accessTokenTtl().toSeconds();
    }
}
