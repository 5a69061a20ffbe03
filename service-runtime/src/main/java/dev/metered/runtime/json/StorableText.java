package dev.metered.runtime.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Iterator;
import java.util.Map;

/** Text PostgreSQL can store: no U+0000 (text and jsonb refuse it) and no unpaired surrogates. */
public final class StorableText {

    private StorableText() {
    }

    public static boolean isStorable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\u0000') {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** Every field name and string value of a JSON tree (what becomes a jsonb column) is storable. */
    public static boolean isStorable(JsonNode node) {
        if (node.isTextual()) {
            return isStorable(node.textValue());
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!isStorable(field.getKey()) || !isStorable(field.getValue())) {
                    return false;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                if (!isStorable(element)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The same for a Vert.x JSON tree: every field name and string value of it is storable. */
    public static boolean isStorable(JsonObject object) {
        for (Map.Entry<String, Object> field : object) {
            if (!isStorable(field.getKey()) || !isStorableValue(field.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean isStorableValue(Object value) {
        if (value instanceof String text) {
            return isStorable(text);
        }
        if (value instanceof JsonObject object) {
            return isStorable(object);
        }
        if (value instanceof JsonArray array) {
            for (Object element : array) {
                if (!isStorableValue(element)) {
                    return false;
                }
            }
        }
        return true;
    }
}
