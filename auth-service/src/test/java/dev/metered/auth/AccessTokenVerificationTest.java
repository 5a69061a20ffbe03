package dev.metered.auth;

import static org.hamcrest.Matchers.equalTo;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The verification every service applies to access tokens, attacked the usual ways. Each forged
 * token differs from a valid one in exactly one respect; the valid one is shown to pass first.
 */
@QuarkusTest
class AccessTokenVerificationTest {

    private final AuthClient client = new AuthClient();
    private Map<String, String> user;
    private RSAPrivateKey signingKey;
    private String keyId;

    @BeforeEach
    void signedInUserAndTheRealSigningKey() throws Exception {
        user = client.signedInUser();
        String pem = ConfigProvider.getConfig().getValue("metered.jwt.active-private-key", String.class);
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        signingKey = (RSAPrivateKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        keyId = SignedJWT.parse(user.get("access_token")).getHeader().getKeyID();
    }

    @Test
    void theForgerItselfMakesAcceptedTokensWhenNothingIsWrong() throws Exception {
        assertAccepted(signed(claims(b -> { })));
    }

    @Test
    void algNoneIsRefused() {
        assertRefused(new PlainJWT(claims(b -> { })).serialize());
    }

    @Test
    void hs256SignedWithThePublicKeyIsRefused() throws Exception {
        String jwks = RestAssured.get("/api/auth/jwks").asString();
        RSAKey publicKey = (RSAKey) JWKSet.parse(jwks).getKeys().get(0);
        byte[] secret = publicKey.toRSAPublicKey().getEncoded();
        SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(keyId).build(), claims(b -> { }));
        hs.sign(new MACSigner(secret));
        assertRefused(hs.serialize());
        SignedJWT hsPem = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(keyId).build(), claims(b -> { }));
        hsPem.sign(new MACSigner(jwks.getBytes(StandardCharsets.UTF_8)));
        assertRefused(hsPem.serialize());
    }

    @Test
    void tamperedPayloadIsRefused() throws Exception {
        String[] parts = user.get("access_token").split("\\.");
        String forgedPayload = claims(b -> b.subject(UUID.randomUUID().toString())).toPayload().toBase64URL().toString();
        assertRefused(parts[0] + "." + forgedPayload + "." + parts[2]);
        assertRefused(parts[0] + "." + parts[1] + "." + Base64URL.encode("not the signature"));
    }

    @Test
    void tokenSignedByAnotherRsaKeyIsRefused() throws Exception {
        RSAKey foreign = new RSAKeyGenerator(2048).keyID(keyId).generate();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keyId).build(), claims(b -> { }));
        jwt.sign(new RSASSASigner(foreign));
        assertRefused(jwt.serialize());
    }

    @Test
    void expiredTokensAreRefusedWithAtMostThirtySecondsOfSkew() throws Exception {
        Instant now = Instant.now();
        assertRefused(signed(claims(b -> b.issueTime(Date.from(now.minusSeconds(1000)))
                .expirationTime(Date.from(now.minusSeconds(100))))));
        assertRefused(signed(claims(b -> b.issueTime(Date.from(now.minusSeconds(1000)))
                .expirationTime(Date.from(now.minusSeconds(45))))));
    }

    @Test
    void wrongIssuerOrAudienceIsRefused() throws Exception {
        assertRefused(signed(claims(b -> b.issuer("someone-else"))));
        assertRefused(signed(claims(b -> b.audience("another-api"))));
        assertRefused(signed(claims(b -> b.audience((String) null))));
    }

    @Test
    void tokensThatAreNotAccessTokensAreRefused() throws Exception {
        assertRefused(signed(claims(b -> b.claim("token_use", null))));
        assertRefused(signed(claims(b -> b.claim("token_use", "refresh"))));
        assertRefused(user.get("refresh_token"));
    }

    @Test
    void garbageCredentialsAreRefused() {
        assertRefused("not-a-jwt");
        assertRefused("a.b.c");
        assertRefused("");
        RestAssured.given().header("Authorization", "Basic dXNlcjpwYXNz").get("/api/auth/me").then().statusCode(401)
                .contentType("application/problem+json");
    }

    private JWTClaimsSet claims(Consumer<JWTClaimsSet.Builder> change) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder()
                .issuer("metered-auth")
                .audience("metered")
                .subject(SignedJWTs.subject(user.get("access_token")))
                .claim("upn", user.get("email"))
                .claim("groups", java.util.List.of("user"))
                .claim("token_use", "access")
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300)));
        change.accept(builder);
        return builder.build();
    }

    private String signed(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keyId).type(JOSEObjectType.JWT)
                .build(), claims);
        jwt.sign(new RSASSASigner(signingKey));
        return jwt.serialize();
    }

    private void assertAccepted(String token) {
        client.me(token).then().statusCode(200).body("email", equalTo(user.get("email")));
    }

    private void assertRefused(String token) {
        client.me(token).then().statusCode(401).contentType("application/problem+json")
                .body("status", equalTo(401));
    }

    private static final class SignedJWTs {
        static String subject(String token) {
            try {
                return SignedJWT.parse(token).getJWTClaimsSet().getSubject();
            } catch (java.text.ParseException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
