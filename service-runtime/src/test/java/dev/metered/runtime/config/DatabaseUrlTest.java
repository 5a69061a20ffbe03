package dev.metered.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DatabaseUrlTest {

    @Test
    void theRunbookFormGivesBothDatasourceUrlsAndTheCredentials() {
        Map<String, String> properties = DatabaseUrl.parse("postgresql://metered_jobs:s3cret@db.internal:6543/metered")
                .quarkusProperties();
        assertEquals("jdbc:postgresql://db.internal:6543/metered", properties.get("quarkus.datasource.jdbc.url"));
        assertEquals("postgresql://db.internal:6543/metered", properties.get("quarkus.datasource.reactive.url"));
        assertEquals("metered_jobs", properties.get("quarkus.datasource.username"));
        assertEquals("s3cret", properties.get("quarkus.datasource.password"));
    }

    @Test
    void defaultPortNoPasswordAndThePostgresScheme() {
        DatabaseUrl url = DatabaseUrl.parse("postgres://metered_auth@localhost/metered");
        assertEquals(5432, url.port());
        assertNull(url.password());
        assertFalse(url.quarkusProperties().containsKey("quarkus.datasource.password"));
    }

    @Test
    void percentEncodedCredentialsAndSslmodeSurvive() {
        DatabaseUrl url = DatabaseUrl.parse("postgresql://us%40er:p%3Ass%2Fw+rd@10.0.0.5:5432/db?sslmode=require");
        assertEquals("us@er", url.user());
        assertEquals("p:ss/w+rd", url.password());
        assertEquals("jdbc:postgresql://10.0.0.5:5432/db?sslmode=require", url.jdbcUrl());
        assertEquals("postgresql://10.0.0.5:5432/db?sslmode=require", url.reactiveUrl());
    }

    @Test
    void ipv6HostsAreBracketed() {
        assertEquals("jdbc:postgresql://[::1]:5432/db", DatabaseUrl.parse("postgresql://u@[::1]:5432/db").jdbcUrl());
    }

    @Test
    void unusableValuesFailWithAReason() {
        assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse("jdbc:postgresql://localhost/db"));
        assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse("postgresql://localhost"));
        assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse("postgresql:///db"));
        assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse("not a url at all"));
    }

    @Test
    void toStringNeverShowsThePassword() {
        assertFalse(DatabaseUrl.parse("postgresql://u:topsecret@h/db").toString().contains("topsecret"));
    }
}
