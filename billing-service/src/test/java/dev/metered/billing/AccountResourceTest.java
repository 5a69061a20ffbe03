package dev.metered.billing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Balance and ledger, with access tokens verified against auth's JWKS (here served by the fake). */
@QuarkusTest
class AccountResourceTest {

    @AfterAll
    static void everyAccountEqualsItsLedger() throws SQLException {
        BillingFixtures.assertNoLedgerDrift();
    }

    private static Response get(UUID user, String path) {
        return given().header("Authorization", "Bearer " + BillingFixtures.tokenFor(user)).get(path);
    }

    @Test
    void balanceShowsAvailableAndHeldCredits() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        UUID job = UUID.randomUUID();
        TestDatabase.asRole("metered_jobs", "SELECT applied FROM billing.hold(?, ?, ?, ?)", user, 4L, "job:" + job + ":hold", job);
        get(user, "/api/billing/balance").then().statusCode(200)
                .body("user_id", equalTo(user.toString())).body("balance", equalTo(6)).body("held", equalTo(4));
    }

    @Test
    void aNewUserHasAZeroBalanceAndAnEmptyLedger() {
        UUID user = UUID.randomUUID();
        get(user, "/api/billing/balance").then().statusCode(200).body("balance", equalTo(0)).body("held", equalTo(0));
        get(user, "/api/billing/ledger").then().statusCode(200).body("items.size()", equalTo(0))
                .body("next_cursor", equalTo(null));
    }

    @Test
    void theLedgerPagesNewestFirstWithoutGapsOrRepeats() throws Exception {
        UUID user = BillingFixtures.userWithCredits(20);
        List<Long> holdIds = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            UUID job = UUID.randomUUID();
            TestDatabase.asRole("metered_jobs", "SELECT entry_id FROM billing.hold(?, ?, ?, ?)", user, 1L,
                    "job:" + job + ":hold", job).forEach(id -> holdIds.add(((Number) id).longValue()));
        }
        List<Long> seen = new ArrayList<>();
        String cursor = null;
        do {
            Response page = given().header("Authorization", "Bearer " + BillingFixtures.tokenFor(user))
                    .queryParam("limit", 3).queryParam("cursor", cursor == null ? "" : cursor).get("/api/billing/ledger");
            page.then().statusCode(200);
            List<Number> ids = page.path("items.id");
            ids.forEach(id -> seen.add(id.longValue()));
            cursor = page.path("next_cursor");
        } while (cursor != null);
        assertEquals(7, seen.size());
        List<Long> sorted = new ArrayList<>(seen);
        sorted.sort((a, b) -> Long.compare(b, a));
        assertEquals(sorted, seen, "newest first");
        assertEquals(holdIds.get(holdIds.size() - 1), seen.get(0));
        get(user, "/api/billing/ledger?limit=1").then().body("items[0].kind", equalTo("hold"))
                .body("items[0].amount", equalTo(-1)).body("items[0].created_at", org.hamcrest.Matchers.notNullValue());
    }

    @Test
    void nobodySeesAnotherUsersLedger() throws Exception {
        UUID owner = BillingFixtures.userWithCredits(5);
        UUID other = UUID.randomUUID();
        get(other, "/api/billing/ledger").then().statusCode(200).body("items.size()", equalTo(0));
        get(owner, "/api/billing/ledger").then().statusCode(200).body("items.size()", equalTo(1));
    }

    @Test
    void badPagingParametersAreProblems() {
        UUID user = UUID.randomUUID();
        for (String query : new String[] { "limit=0", "limit=201", "limit=abc", "limit=-1", "cursor=not-a-cursor",
                "cursor=%00", "cursor=" + java.util.Base64.getUrlEncoder().encodeToString("2020-01-01|x".getBytes()) }) {
            Response response = get(user, "/api/billing/ledger?" + query);
            assertEquals(400, response.statusCode(), query + ": " + response.asString());
            response.then().contentType("application/problem+json").body("errors.field", hasItem(query.split("=")[0]));
        }
    }

    private static String cursor(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Well-formed cursors that no row can have produced: a 400, never the database's "out of range" as a 500. */
    @Test
    void cursorsOutsideWhatPostgresqlStoresAreProblems() {
        UUID user = UUID.randomUUID();
        for (String text : new String[] { "+294277-01-01T00:00:00Z|1", "+999999999-12-31T23:59:59Z|1",
                "-4713-11-23T23:59:59.999999Z|1", "-999999999-01-01T00:00:00Z|1", "2025-01-01T00:00:00Z|1\u0000",
                "2025-01-01T00:00:00Z|\u0000", "2025-01-01T00:00:00Z|1\n" }) {
            Response response = get(user, "/api/billing/ledger?cursor=" + cursor(text));
            assertEquals(400, response.statusCode(), text + ": " + response.asString());
            response.then().contentType("application/problem+json").body("errors.field", hasItem("cursor"));
        }
        for (String text : new String[] { "+294276-12-31T23:59:59.999999Z|1", "-4713-11-24T00:00:00Z|1",
                "+294276-12-31T23:59:59.999999+14:00|1" }) {
            get(user, "/api/billing/ledger?cursor=" + cursor(text)).then().statusCode(200).body("items.size()", equalTo(0));
        }
    }

    @Test
    void callsWithoutAValidAccessTokenAreRefused() {
        given().get("/api/billing/balance").then().statusCode(401).contentType("application/problem+json");
        given().header("Authorization", "Bearer not.a.token").get("/api/billing/balance").then().statusCode(401);
        String token = BillingFixtures.tokenFor(UUID.randomUUID());
        String tampered = token.substring(0, token.lastIndexOf('.') + 1) + "AAAA";
        given().header("Authorization", "Bearer " + tampered).get("/api/billing/balance").then().statusCode(401);
    }
}
