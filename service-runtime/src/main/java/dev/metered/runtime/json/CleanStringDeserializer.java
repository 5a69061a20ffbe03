package dev.metered.runtime.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import java.io.IOException;

/**
 * Refuses strings PostgreSQL cannot store or that are not Unicode at all: U+0000 (text and
 * jsonb reject it, which would surface as a 500) and unpaired surrogates (they would be stored
 * as replacement characters, silently changing the value).
 */
class CleanStringDeserializer extends StdScalarDeserializer<String> {

    CleanStringDeserializer() {
        super(String.class);
    }

    @Override
    public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        String value = StringDeserializer.instance.deserialize(parser, context);
        if (value != null && !StorableText.isStorable(value)) {
            return (String) context.handleWeirdStringValue(String.class, value,
                    "contains U+0000 or an unpaired surrogate");
        }
        return value;
    }
}
