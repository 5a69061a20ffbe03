package dev.metered.auth.service;

import dev.metered.auth.User;
import dev.metered.auth.repository.UserRepository;
import dev.metered.auth.security.PasswordHasher;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Login, refresh and logout: the life of a session as an access token plus a refresh-token family. */
@ApplicationScoped
public class SessionService {

    public record Session(String accessToken, long expiresIn, String refreshToken) {
    }

    private final UserRepository users;
    private final PasswordHasher hasher;
    private final Credentials credentials;
    private final LoginThrottle throttle;
    private final AccessTokenIssuer accessTokens;
    private final RefreshTokens refreshTokens;
    private final AuthMetrics metrics;

    public SessionService(UserRepository users, PasswordHasher hasher, Credentials credentials, LoginThrottle throttle,
                          AccessTokenIssuer accessTokens, RefreshTokens refreshTokens, AuthMetrics metrics) {
        this.users = users;
        this.hasher = hasher;
        this.credentials = credentials;
        this.throttle = throttle;
        this.accessTokens = accessTokens;
        this.refreshTokens = refreshTokens;
        this.metrics = metrics;
    }

    /**
     * The same 401 for an unknown account and a wrong password, after the same amount of
     * hashing work, so neither the answer nor its timing tells whether the account exists.
     */
    public Uni<Session> login(String rawEmail, String password, String clientAddress) {
        String email = Credentials.normalizeEmail(rawEmail);
        credentials.checkPresentedPassword(password);
        if (email.length() > Credentials.MAX_EMAIL_LENGTH) {
            throw ProblemException.invalidField("email", "must be at most " + Credentials.MAX_EMAIL_LENGTH
                    + " characters");
        }
        return throttle.admit(email, clientAddress)
                .chain(() -> users.findByEmail(email))
                .chain(user -> hasher.verify(password, user.map(User::passwordHash).orElse(null))
                        .chain(matches -> {
                            if (!matches) {
                                return Uni.createFrom().failure(
                                        ProblemException.unauthorized("The email or password is wrong."));
                            }
                            return throttle.succeeded(email, clientAddress).chain(() -> open(user.get()));
                        }))
                .onItemOrFailure().invoke((session, failure) -> {
                    if (failure == null) {
                        metrics.loginSucceeded();
                    } else {
                        metrics.loginFailed(failure);
                    }
                });
    }

    public Uni<Session> refresh(String refreshToken) {
        return refreshTokens.rotate(refreshToken).map(rotation -> {
            if (rotation == null) {
                throw ProblemException.unauthorized("The refresh token is invalid, expired or revoked.");
            }
            return new Session(accessTokens.issue(rotation.user()), accessTokens.lifetimeSeconds(),
                    rotation.newToken());
        });
    }

    public Uni<Void> logout(String refreshToken) {
        return refreshTokens.revokeFamilyOf(refreshToken);
    }

    private Uni<Session> open(User user) {
        return refreshTokens.startFamily(user.id())
                .map(refresh -> new Session(accessTokens.issue(user), accessTokens.lifetimeSeconds(), refresh));
    }
}
