package dev.metered.auth;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives the auth API as a client behind the gateway would. Each client has its own forwarded
 * address (the test's direct peer, 127.0.0.1, is a trusted proxy), so the per-address login limit
 * of one test never throttles another.
 */
final class AuthClient {

    private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(1);

    final String address;

    AuthClient() {
        int n = NEXT_ADDRESS.getAndIncrement();
        this.address = "198.51." + (n / 250) + "." + (n % 250 + 1);
    }

    static String uniqueEmail() {
        return "user-" + UUID.randomUUID() + "@example.com";
    }

    RequestSpecification request() {
        return given().header("X-Forwarded-For", address).contentType(ContentType.JSON);
    }

    Response register(String email, String password) {
        return request().body(Map.of("email", email, "password", password)).post("/api/auth/register");
    }

    Response login(String email, String password) {
        return request().body(Map.of("email", email, "password", password)).post("/api/auth/login");
    }

    Response refresh(String refreshToken) {
        return request().body(Map.of("refresh_token", refreshToken)).post("/api/auth/refresh");
    }

    Response logout(String refreshToken) {
        return request().body(Map.of("refresh_token", refreshToken)).post("/api/auth/logout");
    }

    Response me(String accessToken) {
        return given().header("Authorization", "Bearer " + accessToken).get("/api/auth/me");
    }

    /** Registers a fresh account and logs it in; returns {email, password, access_token, refresh_token}. */
    Map<String, String> signedInUser() {
        String email = uniqueEmail();
        String password = "correct horse battery staple";
        register(email, password).then().statusCode(201);
        Response login = login(email, password);
        login.then().statusCode(200);
        return Map.of("email", email, "password", password, "access_token", login.path("access_token"),
                "refresh_token", login.path("refresh_token"));
    }
}
