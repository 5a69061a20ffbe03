package dev.metered.runtime.problem;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/** An RFC 9457 problem document, the body of every 4xx and 5xx answer. */
// Native images: every problem body is a Response entity built by hand (ProblemMappers), a type
// quarkus-rest cannot see from the resource methods, so Jackson's reflection must be registered here.
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    /** One invalid request field, named as the client sent it (snake_case). */
    public record FieldError(String field, String message) {
    }
}
