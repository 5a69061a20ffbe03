package dev.metered.testing;

import dev.metered.runtime.config.DatabaseUrl;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Gives a test run its own freshly created, bootstrapped database, and points the service at it
 * through {@code DATABASE_URL} as the service's own role (init arg {@code role}). Init arg
 * {@code also-migrate} (comma-separated schemas, e.g. {@code billing}) first applies those
 * owners' migrations, from their modules, as their roles: the functions a service calls exist.
 *
 * <p>The server is found in this order: {@code METERED_TEST_POSTGRES_URL} (a superuser libpq URL),
 * a server on localhost:5432 accepting {@code postgres} without a password, then Testcontainers
 * when a Docker engine is available.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String SERVER_URL_ENV = "METERED_TEST_POSTGRES_URL";
    static final String ROLE_PASSWORD_ENV = "METERED_TEST_ROLE_PASSWORD";
    static final List<String> OWNER_ROLES = List.of("metered_auth", "metered_billing", "metered_jobs",
            "metered_worker", "metered_ops");

    private static final Logger LOG = Logger.getLogger(PostgresTestResource.class);

    private String role;
    private List<String> alsoMigrate = List.of();
    private PostgreSQLContainer container;
    private Server server;
    private String database;

    /** A PostgreSQL server reached with superuser credentials. */
    record Server(String host, int port, String user, String password) {
        String jdbcUrl(String database) {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        Connection connect(String database) throws SQLException {
            return connectAs(database, user, password);
        }

        Connection connectAs(String database, String user, String password) throws SQLException {
            Properties properties = new Properties();
            properties.setProperty("user", user);
            if (password != null) {
                properties.setProperty("password", password);
            }
            properties.setProperty("connectTimeout", "3");
            return DriverManager.getConnection(jdbcUrl(database), properties);
        }
    }

    @Override
    public void init(Map<String, String> initArgs) {
        role = initArgs.get("role");
        if (role == null || !OWNER_ROLES.contains(role)) {
            throw new IllegalArgumentException("PostgresTestResource needs init arg role, one of " + OWNER_ROLES);
        }
        String others = initArgs.getOrDefault("also-migrate", "");
        alsoMigrate = others.isBlank() ? List.of() : List.of(others.split("\\s*,\\s*"));
    }

    @Override
    public Map<String, String> start() {
        server = locateServer();
        database = "metered_test_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss"))
                + "_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        try {
            try (Connection admin = server.connect("postgres"); Statement statement = admin.createStatement()) {
                statement.execute("CREATE DATABASE " + database);
            }
            try (Connection admin = server.connect(database); Statement statement = admin.createStatement()) {
                statement.execute(bootstrapSql());
            }
            String rolePassword = rolePasswordIfNeeded();
            for (String schema : alsoMigrate) {
                migrateOwner(schema, rolePassword);
            }
            LOG.infof("Test database %s on %s:%d, service role %s", database, server.host(), server.port(), role);

            Map<String, String> config = new LinkedHashMap<>();
            config.put("DATABASE_URL", "postgresql://" + role + (rolePassword == null ? "" : ":" + rolePassword)
                    + "@" + server.host() + ":" + server.port() + "/" + database);
            config.put(TestDatabase.ADMIN_JDBC_URL, server.jdbcUrl(database));
            config.put(TestDatabase.ADMIN_USER, server.user());
            if (server.password() != null) {
                config.put(TestDatabase.ADMIN_PASSWORD, server.password());
            }
            return config;
        } catch (SQLException e) {
            throw new IllegalStateException("Could not prepare the test database " + database + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        if (server != null && database != null) {
            try (Connection admin = server.connect("postgres"); Statement statement = admin.createStatement()) {
                statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            } catch (SQLException e) {
                LOG.warnf("Could not drop test database %s: %s", database, e.getMessage());
            }
        }
        if (container != null) {
            container.stop();
        }
    }

    private Server locateServer() {
        String explicit = System.getenv(SERVER_URL_ENV);
        if (explicit != null && !explicit.isBlank()) {
            DatabaseUrl url = DatabaseUrl.parse(explicit);
            return new Server(url.host(), url.port(), url.user() == null ? "postgres" : url.user(), url.password());
        }
        Server local = new Server("localhost", 5432, "postgres", null);
        try (Connection ignored = local.connect("postgres")) {
            return local;
        } catch (SQLException e) {
            LOG.debugf("No PostgreSQL usable on localhost:5432 (%s)", e.getMessage());
        }
        if (dockerAvailable()) {
            container = new PostgreSQLContainer("postgres:15-alpine");
            container.start();
            return new Server(container.getHost(), container.getMappedPort(5432), container.getUsername(),
                    container.getPassword());
        }
        throw new IllegalStateException("No PostgreSQL for the tests: set " + SERVER_URL_ENV
                + " to a superuser URL (postgresql://user:pass@host:5432/postgres), or run PostgreSQL on"
                + " localhost:5432 with trust auth for user postgres (apt-get install postgresql), or start Docker.");
    }

    /** Runs another owner's migrations from its module (tests run in their module's folder). */
    private void migrateOwner(String schema, String rolePassword) {
        java.nio.file.Path migrations = java.nio.file.Path.of("..", schema + "-service", "src", "main", "resources", "db",
                schema).toAbsolutePath().normalize();
        if (!java.nio.file.Files.isDirectory(migrations)) {
            throw new IllegalStateException("No migrations for schema " + schema + " at " + migrations);
        }
        org.flywaydb.core.Flyway.configure()
                .dataSource(server.jdbcUrl(database), "metered_" + schema, rolePassword)
                .schemas(schema).defaultSchema(schema).createSchemas(false)
                .locations("filesystem:" + migrations)
                .load().migrate();
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Roles are cluster-wide; on a server that wants passwords the owner roles get the test
     * password, so never point the tests at a cluster whose Metered roles serve a real stack.
     */
    private String rolePasswordIfNeeded() throws SQLException {
        try (Connection ignored = server.connectAs(database, role, null)) {
            return null;
        } catch (SQLException e) {
            if (e.getSQLState() == null || !e.getSQLState().startsWith("28")) {
                throw e;
            }
        }
        String password = System.getenv().getOrDefault(ROLE_PASSWORD_ENV, "metered-test");
        try (Connection admin = server.connect(database); Statement statement = admin.createStatement()) {
            for (String owner : OWNER_ROLES) {
                statement.execute("ALTER ROLE " + owner + " PASSWORD '" + password.replace("'", "''") + "'");
            }
        }
        return password;
    }

    private static String bootstrapSql() {
        try (InputStream in = PostgresTestResource.class.getResourceAsStream("bootstrap.sql")) {
            if (in == null) {
                throw new IllegalStateException("db/bootstrap.sql is missing from the test-postgres jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
