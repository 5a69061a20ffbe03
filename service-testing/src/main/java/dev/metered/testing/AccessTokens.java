package dev.metered.testing;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;

/** Access tokens as auth-service issues them, signed with {@link AuthJwksResource}'s key. */
public final class AccessTokens {

    private AccessTokens() {
    }

    public static String forUser(UUID userId) {
        try {
            RSAKey key = RSAKey.parse(ConfigProvider.getConfig().getValue(AuthJwksResource.PRIVATE_JWK, String.class));
            Instant now = Instant.now();
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                    new JWTClaimsSet.Builder().issuer("metered-auth").audience("metered").subject(userId.toString())
                            .claim("groups", List.of("user")).claim("token_use", "access")
                            .jwtID(UUID.randomUUID().toString()).issueTime(Date.from(now))
                            .expirationTime(Date.from(now.plusSeconds(300))).build());
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
