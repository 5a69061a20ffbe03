package dev.metered.runtime.security;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Accepts a verified JWT as a user credential only when it is an access token: any other token
 * auth-service may sign in future (and any token without the claim) is refused with 401.
 */
@ApplicationScoped
public class AccessTokenOnly implements SecurityIdentityAugmentor {

    public static final String TOKEN_USE_CLAIM = "token_use";
    public static final String ACCESS = "access";

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.getPrincipal() instanceof JsonWebToken token
                && !ACCESS.equals(token.getClaim(TOKEN_USE_CLAIM))) {
            return Uni.createFrom().failure(new AuthenticationFailedException("not an access token"));
        }
        return Uni.createFrom().item(identity);
    }
}
