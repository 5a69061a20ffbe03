package dev.metered.auth;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** /q/openapi names the fields as the wire does and declares the statuses auth-service answers with. */
@QuarkusTest
class AuthOpenApiTest {

    private static JsonPath document() {
        return given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void schemasUseTheWiresSnakeCaseNames() {
        JsonPath document = document();
        assertEquals(Set.of("access_token", "token_type", "expires_in", "refresh_token"),
                document.getMap("components.schemas.Tokens.properties").keySet());
        assertEquals(Set.of("user_id", "email"), document.getMap("components.schemas.Account.properties").keySet());
        assertEquals(List.of("refresh_token"), document.getList("components.schemas.RefreshToken.required"));
    }

    @Test
    void operationsDeclareWhatTheyAnswer() {
        JsonPath document = document();
        assertEquals(Set.of("200", "400", "401", "403", "429"),
                document.getMap("paths.'/api/auth/login'.post.responses").keySet());
        assertEquals(Set.of("200", "400", "401", "403"), document.getMap("paths.'/api/auth/me'.get.responses").keySet());
    }
}
