package dev.metered.ops;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** /q/openapi names the fields as the wire does and declares the statuses ops-service answers with. */
@QuarkusTest
class OpsOpenApiTest {

    private static JsonPath document() {
        return given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void schemasUseTheWiresSnakeCaseNamesAndSayWhatMayBeNull() {
        JsonPath document = document();
        assertEquals(Set.of("id", "at", "actor", "token_fingerprint", "client_address", "method", "path", "action",
                "detail", "outcome", "duration_ms"), document.getMap("components.schemas.AuditEntry.properties").keySet());
        assertEquals(List.of("string", "null"),
                document.getList("components.schemas.AuditEntry.properties.token_fingerprint.type"));
        assertEquals(List.of("object", "null"), document.getList("components.schemas.AuditEntry.properties.detail.type"));
        assertTrue(document.getMap("components.schemas.Readiness.properties").containsKey("db_ok"));
        assertTrue(document.getMap("components.schemas.Metrics.properties").containsKey("dead_letters_last_24h"));
        for (String page : new String[] { "/api/ops/audit", "/api/ops/dead-letters", "/api/ops/webhook-events" }) {
            String ref = document.getString("paths.'" + page + "'.get.responses.'200'.content.'application/json'.schema.$ref");
            Map<String, Object> cursor = document.getMap("components.schemas." + ref.substring(ref.lastIndexOf('/') + 1)
                    + ".properties.next_cursor");
            assertEquals(List.of("string", "null"), cursor.get("type"), page);
        }
    }

    @Test
    void operationsDeclareWhatTheyAnswer() {
        JsonPath document = document();
        assertEquals(Set.of("200", "400", "401"), document.getMap("paths.'/api/ops/audit'.get.responses").keySet());
        assertEquals(Set.of("200", "400", "401"), document.getMap("paths.'/api/ops/dead-letters'.get.responses").keySet());
        assertEquals(Set.of("200", "400", "401"),
                document.getMap("paths.'/api/ops/queue-depth/samples'.get.responses").keySet());
        assertEquals(Set.of("200", "400", "401", "404"), document.getMap("paths.'/api/ops/users'.get.responses").keySet());
        assertEquals(Set.of("200", "400", "401", "404"),
                document.getMap("paths.'/api/ops/users/{id}/credits'.get.responses").keySet());
        assertEquals(Set.of("200", "503"), document.getMap("paths.'/api/ready'.get.responses").keySet());
    }
}
