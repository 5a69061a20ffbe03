package dev.metered.testing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What every Metered service must do from its first day: probes, metrics, OpenAPI, its own
 * schema migrated by Flyway (history inside the schema), and a connection as its own role.
 * A service's test extends this with its schema name.
 */
public abstract class ServiceFoundationContract {

    protected abstract String schema();

    protected String role() {
        return "metered_" + schema();
    }

    @Test
    void readinessIsUpWithTheDatabaseCheck() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body(containsString("Reactive PostgreSQL connections health check"));
    }

    @Test
    void livenessIsUp() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void prometheusMetricsAreServed() {
        given().when().get("/q/metrics").then().statusCode(200).body(containsString("jvm_memory_used_bytes"));
    }

    /** docs/SLO.md's latency SLI counts requests under 0.8 s from this bucket. */
    @Test
    void httpServerTimingsHaveTheLatencyObjectivesBucket() {
        given().when().get("/q/health/live").then().statusCode(200);
        given().when().get("/this-path-does-not-exist").then().statusCode(404);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(matchesPattern("(?s).*\\nhttp_server_requests_seconds_bucket\\{[^}]*le=\"0\\.8\"[^}]*\\} .*"));
    }

    @Test
    void openApiDocumentIsServedAndEverySecurityRequirementNamesADeclaredScheme() {
        var document = given().queryParam("format", "json").when().get("/q/openapi").then().statusCode(200)
                .body("openapi", containsString("3.")).extract().jsonPath();
        Map<String, Object> schemes = document.getMap("components.securitySchemes");
        List<Map<String, Object>> required = document.getList("paths.values().collectMany { it.values() }"
                + ".findAll { it instanceof Map && it.security != null }.collectMany { it.security }");
        for (Map<String, Object> requirement : required) {
            for (String scheme : requirement.keySet()) {
                assertTrue(schemes != null && schemes.containsKey(scheme), "undeclared security scheme " + scheme);
            }
        }
    }

    private static final Pattern SNAKE_CASE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

    /**
     * /q/openapi describes the wire (DESIGN.md, HTTP conventions): snake_case property names, no
     * Jackson tree described as a bean of its getters, a success for every operation, a 401 where
     * a credential is required, and problem+json as the only body of every 4xx.
     */
    @Test
    @SuppressWarnings("unchecked")
    void openApiDocumentDescribesTheWire() {
        Map<String, Object> document = given().queryParam("format", "json").when().get("/q/openapi").then()
                .statusCode(200).extract().jsonPath().getMap("");
        List<String> wrong = new ArrayList<>();
        Map<String, Object> components = (Map<String, Object>) document.getOrDefault("components", Map.of());
        Map<String, Object> schemas = (Map<String, Object>) components.getOrDefault("schemas", Map.of());
        schemas.forEach((name, schema) -> {
            if (name.startsWith("JsonNode")) {
                wrong.add("schema " + name + " describes Jackson's JsonNode class, not the JSON it holds");
            }
            checkNames("schema " + name, schema, wrong);
        });
        Map<String, Object> paths = (Map<String, Object>) document.getOrDefault("paths", Map.of());
        paths.forEach((path, item) -> ((Map<String, Object>) item).forEach((method, value) -> {
            if (!(value instanceof Map<?, ?> operation) || !(operation.get("responses") instanceof Map<?, ?> responses)) {
                return;
            }
            String name = method.toUpperCase(java.util.Locale.ROOT) + " " + path;
            if (responses.keySet().stream().noneMatch(code -> String.valueOf(code).startsWith("2"))) {
                wrong.add(name + " declares no success status");
            }
            if (operation.get("security") instanceof List<?> security && !security.isEmpty()
                    && !responses.containsKey("401")) {
                wrong.add(name + " requires credentials but does not declare 401");
            }
            responses.forEach((code, response) -> {
                Object content = ((Map<String, Object>) response).get("content");
                if (String.valueOf(code).startsWith("4") && !(content instanceof Map<?, ?> media
                        && media.keySet().equals(java.util.Set.of("application/problem+json")))) {
                    wrong.add(name + " " + code + " is not declared as application/problem+json");
                }
            });
        }));
        assertEquals(List.of(), wrong);
    }

    @SuppressWarnings("unchecked")
    private static void checkNames(String where, Object node, List<String> wrong) {
        if (node instanceof Map<?, ?> map) {
            if (map.get("properties") instanceof Map<?, ?> properties) {
                properties.keySet().stream().map(String::valueOf).filter(p -> !SNAKE_CASE.matcher(p).matches())
                        .forEach(p -> wrong.add(where + ": property " + p + " is not snake_case"));
            }
            if (map.get("required") instanceof List<?> required) {
                required.stream().map(String::valueOf).filter(p -> !SNAKE_CASE.matcher(p).matches())
                        .forEach(p -> wrong.add(where + ": required " + p + " is not snake_case"));
            }
            ((Map<String, Object>) map).forEach((key, value) -> checkNames(where, value, wrong));
        } else if (node instanceof List<?> list) {
            list.forEach(value -> checkNames(where, value, wrong));
        }
    }

    @Test
    void flywayMigratedTheOwnSchemaWithHistoryInsideIt() throws Exception {
        long applied = ((Number) TestDatabase.single("SELECT count(*) FROM " + schema()
                + ".flyway_schema_history WHERE success AND version IS NOT NULL")).longValue();
        assertTrue(applied > 0, "no applied migration in " + schema() + ".flyway_schema_history");
        assertEquals(List.of(), TestDatabase.column(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'flyway_schema_history'"
                        + " AND table_schema NOT IN ('auth', 'billing', 'jobs', 'worker', 'ops')"),
                "Flyway history must live in the owners' schemas, never in public");
    }

    @Test
    void schemaObjectsBelongToTheOwnRole() throws Exception {
        assertEquals(role(), TestDatabase.single(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ?", schema()));
        assertEquals(List.of(), TestDatabase.column(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND pg_get_userbyid(c.relowner) <> ?", schema(), role()));
    }

    @Test
    void serviceConnectsAsItsOwnRoleOnly() throws Exception {
        given().when().get("/q/health/ready").then().statusCode(200);
        long foreign = ((Number) TestDatabase.single(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND usename LIKE 'metered\\_%' AND usename <> ?", role())).longValue();
        long own = ((Number) TestDatabase.single(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = ?",
                role())).longValue();
        assertEquals(0, foreign);
        assertTrue(own > 0, "no connection of " + role() + " to the test database");
    }

    @Test
    void unknownPathIsNotFound() {
        given().when().get("/api/no-such-path-here").then().statusCode(greaterThan(399));
    }
}
