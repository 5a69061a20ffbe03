package dev.metered.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.eclipse.microprofile.config.ConfigProvider;

/** Superuser access to the current test run's database, for assertions the service's role may not make. */
public final class TestDatabase {

    static final String ADMIN_JDBC_URL = "metered.test.admin-jdbc-url";
    static final String ADMIN_USER = "metered.test.admin-user";
    static final String ADMIN_PASSWORD = "metered.test.admin-password";

    private TestDatabase() {
    }

    public static Connection admin() throws SQLException {
        var config = ConfigProvider.getConfig();
        Properties properties = new Properties();
        properties.setProperty("user", config.getValue(ADMIN_USER, String.class));
        config.getOptionalValue(ADMIN_PASSWORD, String.class).ifPresent(p -> properties.setProperty("password", p));
        return DriverManager.getConnection(config.getValue(ADMIN_JDBC_URL, String.class), properties);
    }

    /** Runs a query as superuser and returns the first column of every row. */
    public static List<Object> column(String sql, Object... parameters) throws SQLException {
        try (Connection connection = admin()) {
            return firstColumn(connection, sql, parameters);
        }
    }

    /**
     * Runs a query as one of the owner roles (metered_jobs, metered_worker, …), with exactly the
     * grants that service has: what another service would see and be allowed to do.
     */
    public static List<Object> asRole(String role, String sql, Object... parameters) throws SQLException {
        if (!PostgresTestResource.OWNER_ROLES.contains(role)) {
            throw new IllegalArgumentException("not an owner role: " + role);
        }
        try (Connection connection = admin()) {
            try (java.sql.Statement statement = connection.createStatement()) {
                statement.execute("SET ROLE " + role);
            }
            return firstColumn(connection, sql, parameters);
        }
    }

    private static List<Object> firstColumn(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            List<Object> values = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getObject(1));
                }
            }
            return values;
        }
    }

    public static Object single(String sql, Object... parameters) throws SQLException {
        List<Object> values = column(sql, parameters);
        if (values.size() != 1) {
            throw new AssertionError("expected one row from " + sql + ", got " + values.size());
        }
        return values.get(0);
    }

    public static int execute(String sql, Object... parameters) throws SQLException {
        try (Connection connection = admin(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            return statement.executeUpdate();
        }
    }
}
