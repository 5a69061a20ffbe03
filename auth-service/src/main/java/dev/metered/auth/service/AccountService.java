package dev.metered.auth.service;

import dev.metered.auth.User;
import dev.metered.auth.repository.UserRepository;
import dev.metered.auth.security.PasswordHasher;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

@ApplicationScoped
public class AccountService {

    private final UserRepository users;
    private final PasswordHasher hasher;
    private final Credentials credentials;
    private final AuthMetrics metrics;

    public AccountService(UserRepository users, PasswordHasher hasher, Credentials credentials, AuthMetrics metrics) {
        this.users = users;
        this.hasher = hasher;
        this.credentials = credentials;
        this.metrics = metrics;
    }

    public Uni<User> register(String rawEmail, String password) {
        String email = credentials.validEmail(rawEmail);
        credentials.checkNewPassword(password);
        return hasher.hash(password)
                .chain(hash -> users.insertUnlessTaken(email, hash))
                .invoke(id -> metrics.registration(id.isPresent() ? "created" : "email_taken"))
                .map(id -> new User(id.orElseThrow(() -> ProblemException.conflict(
                        "urn:metered:problem:email-taken", "An account with this email already exists.")), email, null));
    }

    public Uni<User> find(UUID id) {
        return users.findById(id).map(found -> found.orElseThrow(
                () -> ProblemException.unauthorized("The account of this token no longer exists.")));
    }
}
