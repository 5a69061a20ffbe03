package dev.metered.auth.service;

import dev.metered.auth.config.AuthConfig;
import dev.metered.runtime.problem.ProblemException;
import jakarta.inject.Singleton;
import java.util.Locale;
import java.util.regex.Pattern;

/** The rules an email and a password must meet, and the one normal form of an email. */
@Singleton
public class Credentials {

    static final int MAX_EMAIL_LENGTH = 254;
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s.]+(\\.[^@\\s.]+)+");

    private final AuthConfig.Password rules;

    public Credentials(AuthConfig config) {
        this.rules = config.password();
    }

    public static String normalizeEmail(String email) {
        return email.strip().toLowerCase(Locale.ROOT);
    }

    /** The normalised email, or 400 naming the field. */
    public String validEmail(String email) {
        String normalized = normalizeEmail(email);
        if (normalized.length() > MAX_EMAIL_LENGTH || !EMAIL.matcher(normalized).matches()) {
            throw ProblemException.invalidField("email", "must be a valid email address of at most "
                    + MAX_EMAIL_LENGTH + " characters");
        }
        return normalized;
    }

    public void checkNewPassword(String password) {
        if (password.length() < rules.minLength() || password.length() > rules.maxLength()) {
            throw ProblemException.invalidField("password", "must be between " + rules.minLength() + " and "
                    + rules.maxLength() + " characters");
        }
    }

    /** Login takes any password up to the cap: longer ones are refused before any hashing. */
    public void checkPresentedPassword(String password) {
        if (password.length() > rules.maxLength()) {
            throw ProblemException.invalidField("password", "must be at most " + rules.maxLength() + " characters");
        }
    }
}
