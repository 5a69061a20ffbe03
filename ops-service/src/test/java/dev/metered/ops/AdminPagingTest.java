package dev.metered.ops;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The admin lists' paging parameters: anything but a cursor this API returned is a 400, never a 500. */
@QuarkusTest
class AdminPagingTest {

    private static final String[] LISTS = { "/api/ops/audit", "/api/ops/dead-letters", "/api/ops/webhook-events" };

    private static String cursor(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** PostgreSQL's timestamptz ends at 294276 AD and starts at 4714 BC: a cursor outside cannot name a row. */
    @Test
    void aCursorWhoseTimePostgresqlCannotStoreIsAProblem() {
        for (String list : LISTS) {
            String id = list.endsWith("webhook-events") ? "evt_1" : "1";
            for (String time : new String[] { "+294277-01-01T00:00:00Z", "+294276-12-31T23:59:59.999999-01:00",
                    "-4713-11-23T23:59:59.999999Z", "+999999999-12-31T23:59:59Z" }) {
                Response response = OpsFixtures.admin().queryParam("cursor", cursor(time + "|" + id)).get(list);
                assertEquals(400, response.statusCode(), list + " " + time + ": " + response.asString());
                response.then().contentType("application/problem+json").body("errors.field", hasItem("cursor"));
            }
            for (String time : new String[] { "+294276-12-31T23:59:59.999999Z", "-4713-11-24T00:00:00Z" }) {
                OpsFixtures.admin().queryParam("cursor", cursor(time + "|" + id)).get(list).then().statusCode(200);
            }
        }
        OpsFixtures.admin().queryParam("cursor", cursor("-4713-11-24T00:00:00Z|evt_1")).get("/api/ops/webhook-events")
                .then().body("items.size()", equalTo(0));
    }

    /** The webhook-events cursor's id is text: U+0000 (which PostgreSQL text refuses) or another control character names no event. */
    @Test
    void aCursorIdWithControlCharactersIsAProblem() {
        for (String id : new String[] { "x\u0000", "\u0000", "evt_1\n", "evt\u001b[1m", "evt\u007f" }) {
            for (String list : LISTS) {
                Response response = OpsFixtures.admin().queryParam("cursor", cursor("2025-01-01T00:00:00Z|" + id)).get(list);
                assertEquals(400, response.statusCode(), list + " " + id + ": " + response.asString());
                response.then().contentType("application/problem+json").body("errors.field", hasItem("cursor"));
            }
        }
        OpsFixtures.admin().queryParam("cursor", cursor("2025-01-01T00:00:00Z|evt_ünïcode")).get("/api/ops/webhook-events")
                .then().statusCode(200);
    }

    @Test
    void otherBadPagingParametersAreProblems() {
        for (String list : LISTS) {
            for (String query : new String[] { "limit=0", "limit=201", "limit=x", "cursor=garbage", "cursor=%00" }) {
                Response response = OpsFixtures.admin().urlEncodingEnabled(false).get(list + "?" + query);
                assertEquals(400, response.statusCode(), list + "?" + query + ": " + response.asString());
                response.then().contentType("application/problem+json");
            }
        }
        OpsFixtures.admin().queryParam("minutes", 0).get("/api/ops/queue-depth/samples").then().statusCode(400)
                .body("errors.field", hasItem("minutes"));
        OpsFixtures.admin().get("/api/ops/users").then().statusCode(400).body("errors.field", hasItem("email"));
        OpsFixtures.admin().queryParam("limit", 201).get("/api/ops/users/" + java.util.UUID.randomUUID() + "/credits")
                .then().statusCode(400).body("errors.field", hasItem("limit"));
    }
}
