package dev.metered.runtime.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

    record Sample(String name, int count, boolean flag, Kind kind) {
    }

    enum Kind { SMALL, LARGE }

    private final ObjectMapper mapper = strictMapper();

    private static ObjectMapper strictMapper() {
        ObjectMapper mapper = new ObjectMapper();
        new StrictJson().customize(mapper);
        return mapper;
    }

    @Test
    void wellTypedSnakeCaseBodiesBind() throws Exception {
        Sample sample = mapper.readValue("{\"name\":\"a😀b\",\"count\":3,\"flag\":true,\"kind\":\"LARGE\",\"extra\":1}",
                Sample.class);
        assertEquals(new Sample("a😀b", 3, true, Kind.LARGE), sample);
    }

    @Test
    void noCoercionBetweenScalarTypes() {
        for (String body : new String[] { "{\"name\":5}", "{\"name\":true}", "{\"count\":\"3\"}", "{\"count\":3.5}",
                "{\"count\":true}", "{\"flag\":\"true\"}", "{\"flag\":1}", "{\"kind\":1}", "{\"kind\":\"HUGE\"}",
                "{\"count\":null}", "{\"name\":[\"a\"]}", "{\"name\":{}}" }) {
            assertThrows(JsonProcessingException.class, () -> mapper.readValue(body, Sample.class), body);
        }
    }

    @Test
    void malformedDocumentsAreRefused() {
        for (String body : new String[] { "{\"name\":\"a\"} {}", "{\"name\":\"a\",\"name\":\"b\"}", "{", "" }) {
            assertThrows(JsonProcessingException.class, () -> mapper.readValue(body, Sample.class), body);
        }
    }

    @Test
    void stringsPostgresCannotStoreAreRefused() {
        for (String body : new String[] { "{\"name\":\"a\\u0000b\"}", "{\"name\":\"\\ud800\"}", "{\"name\":\"x\\udc00\"}",
                "{\"name\":\"\\ude00\\ud83d\"}" }) {
            assertThrows(JsonProcessingException.class, () -> mapper.readValue(body, Sample.class), body);
        }
    }
}
