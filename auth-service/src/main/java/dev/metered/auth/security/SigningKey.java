package dev.metered.auth.security;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The RSA key access tokens are signed with, and the public keys published for verification. */
public record SigningKey(RSAPrivateCrtKey privateKey, RSAPublicKey publicKey, String keyId) {

    static final int MIN_BITS = 2048;
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    public static SigningKey fromPrivatePem(String pem) {
        List<byte[]> blocks = pemBlocks(pem, "PRIVATE KEY");
        if (blocks.size() != 1) {
            throw new IllegalArgumentException(
                    "AUTH_JWT_PRIVATE_KEY must hold one RSA private key as PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)");
        }
        try {
            RSAPrivateCrtKey privateKey = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(blocks.get(0)));
            RSAPublicKey publicKey = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                    new RSAPublicKeySpec(privateKey.getModulus(), privateKey.getPublicExponent()));
            return of(privateKey, publicKey);
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("AUTH_JWT_PRIVATE_KEY is not a readable RSA PKCS#8 key", e);
        }
    }

    public static SigningKey generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(MIN_BITS);
            var pair = generator.generateKeyPair();
            return of((RSAPrivateCrtKey) pair.getPrivate(), (RSAPublicKey) pair.getPublic());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Public keys given as PEM ({@code -----BEGIN PUBLIC KEY-----}), e.g. the previous signing key. */
    public static List<RSAPublicKey> publicKeysFromPem(String pem) {
        List<RSAPublicKey> keys = new ArrayList<>();
        for (byte[] der : pemBlocks(pem, "PUBLIC KEY")) {
            try {
                keys.add((RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der)));
            } catch (GeneralSecurityException | ClassCastException e) {
                throw new IllegalArgumentException("AUTH_JWT_PREVIOUS_PUBLIC_KEYS holds a key that is not RSA", e);
            }
        }
        return keys;
    }

    private static SigningKey of(RSAPrivateCrtKey privateKey, RSAPublicKey publicKey) {
        if (publicKey.getModulus().bitLength() < MIN_BITS) {
            throw new IllegalArgumentException("the JWT signing key must have at least " + MIN_BITS + " bits");
        }
        return new SigningKey(privateKey, publicKey, thumbprint(publicKey));
    }

    public String privatePem() {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(privateKey.getEncoded());
        return "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n";
    }

    /** A JWK Set with this key first, then the still-trusted earlier keys. */
    public String jwks(List<RSAPublicKey> previous) {
        List<RSAPublicKey> keys = new ArrayList<>();
        keys.add(publicKey);
        previous.stream().filter(k -> !thumbprint(k).equals(keyId)).forEach(keys::add);
        return keys.stream().map(SigningKey::jwk).collect(Collectors.joining(",", "{\"keys\":[", "]}"));
    }

    private static String jwk(RSAPublicKey key) {
        return "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"" + thumbprint(key) + "\",\"n\":\""
                + base64Url(key.getModulus()) + "\",\"e\":\"" + base64Url(key.getPublicExponent()) + "\"}";
    }

    /** RFC 7638 thumbprint: the key id changes exactly when the key does. */
    static String thumbprint(RSAPublicKey key) {
        String canonical = "{\"e\":\"" + base64Url(key.getPublicExponent()) + "\",\"kty\":\"RSA\",\"n\":\""
                + base64Url(key.getModulus()) + "\"}";
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base64Url(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static List<byte[]> pemBlocks(String pem, String label) {
        List<byte[]> blocks = new ArrayList<>();
        // environment variables often carry PEMs with literal \n
        Matcher matcher = PEM.matcher(pem.replace("\\n", "\n"));
        while (matcher.find()) {
            if (!matcher.group(1).equals(label)) {
                throw new IllegalArgumentException("expected PEM blocks of " + label + ", found " + matcher.group(1));
            }
            blocks.add(Base64.getMimeDecoder().decode(matcher.group(2)));
        }
        return blocks;
    }
}
