package dev.metered.auth.security;

import dev.metered.auth.config.AuthConfig;
import dev.metered.runtime.origin.OriginAllowlist;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** The browser origins allowed on auth endpoints ({@code AUTH_ORIGIN_ALLOWLIST} and the localhost/null switches). */
@ApplicationScoped
public class AuthOrigins {

    private final OriginAllowlist allowlist;

    public AuthOrigins(AuthConfig config) {
        AuthConfig.Origins origins = config.origins();
        this.allowlist = new OriginAllowlist(origins.allowlist().orElse(List.of()), origins.allowLocalhost(),
                origins.allowNull());
    }

    public boolean allows(String origin) {
        return allowlist.allowsOrigin(origin);
    }
}
