package dev.metered.billing;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** /q/openapi names the fields as the wire does and declares the statuses billing-service answers with. */
@QuarkusTest
class BillingOpenApiTest {

    private static JsonPath document() {
        return given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void schemasUseTheWiresSnakeCaseNamesAndSayWhatMayBeNull() {
        JsonPath document = document();
        assertEquals(Set.of("user_id", "balance", "held"), document.getMap("components.schemas.BalanceView.properties").keySet());
        assertEquals(Set.of("items", "next_cursor"), document.getMap("components.schemas.LedgerPage.properties").keySet());
        assertEquals(List.of("string", "null"), document.getList("components.schemas.LedgerPage.properties.next_cursor.type"));
        assertEquals(List.of("string", "null"), document.getList("components.schemas.LedgerItem.properties.reference.type"));
        assertEquals(Set.of("credits", "success_url", "cancel_url"),
                document.getMap("components.schemas.CheckoutRequest.properties").keySet());
        assertEquals(Set.of("received", "event_id", "result"), document.getMap("components.schemas.Receipt.properties").keySet());
    }

    @Test
    void operationsDeclareWhatTheyAnswer() {
        JsonPath document = document();
        assertEquals(Set.of("200", "401"), document.getMap("paths.'/api/billing/balance'.get.responses").keySet());
        assertEquals(Set.of("200", "400", "401"), document.getMap("paths.'/api/billing/ledger'.get.responses").keySet());
        assertEquals("#/components/schemas/LedgerPage",
                document.getString("paths.'/api/billing/ledger'.get.responses.'200'.content.'application/json'.schema.$ref"));
        assertEquals(Set.of("201", "400", "401", "409", "502"),
                document.getMap("paths.'/api/billing/checkout-session'.post.responses").keySet());
    }
}
