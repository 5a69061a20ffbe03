package dev.metered.jobs;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** /q/openapi names the fields as the wire does and declares the statuses jobs-service answers with. */
@QuarkusTest
class JobsOpenApiTest {

    private static JsonPath document() {
        return given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void schemasUseTheWiresSnakeCaseNamesAndSayWhatMayBeNull() {
        JsonPath document = document();
        assertEquals(Set.of("job_id", "type", "status", "cost", "attempts", "output", "last_error", "created_at",
                "updated_at"), document.getMap("components.schemas.Detail.properties").keySet());
        assertEquals(Set.of("type", "input", "idempotency_key"),
                document.getMap("components.schemas.SubmitRequest.properties").keySet());
        assertEquals(List.of("type", "input"), document.getList("components.schemas.SubmitRequest.required"));
        assertEquals(List.of("string", "null"), document.getList("components.schemas.Page.properties.next_cursor.type"));
    }

    /** A job's input and output, and the kling bodies, are any JSON object: not JsonNode's isArray, isNull... */
    @Test
    void jsonTreesAreFreeFormObjects() {
        JsonPath document = document();
        String input = document.getString("components.schemas.SubmitRequest.properties.input.$ref");
        assertEquals(input, document.getString("components.schemas.Detail.properties.output.$ref"));
        assertEquals(input, document.getString("paths.'/api/kling/jobs'.post.requestBody.content.'application/json'.schema.$ref"));
        Map<String, Object> object = document.getMap("components.schemas." + input.substring(input.lastIndexOf('/') + 1));
        assertEquals("object", object.get("type"));
        assertNull(object.get("properties"));
    }

    @Test
    void operationsDeclareWhatTheyAnswer() {
        JsonPath document = document();
        assertEquals(Set.of("200", "400", "401"), document.getMap("paths.'/api/jobs'.get.responses").keySet());
        assertEquals(Set.of("200", "400", "401"), document.getMap("paths.'/api/kling/jobs'.get.responses").keySet());
        for (String submit : new String[] { "/api/kling/jobs", "/api/kling/generate" }) {
            assertEquals(Set.of("200", "201", "400", "401", "402", "409"),
                    document.getMap("paths.'" + submit + "'.post.responses").keySet(), submit);
        }
        assertEquals(Set.of("200", "401", "404"), document.getMap("paths.'/api/kling/jobs/{id}'.get.responses").keySet());
        assertEquals(Set.of("200", "401", "404"), document.getMap("paths.'/api/kling/status/{id}'.get.responses").keySet());
        assertEquals(Set.of("200", "401", "404", "409"),
                document.getMap("paths.'/api/kling/jobs/{id}/cancel'.post.responses").keySet());
    }
}
