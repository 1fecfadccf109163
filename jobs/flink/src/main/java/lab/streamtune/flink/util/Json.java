package lab.streamtune.flink.util;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** JSON helpers over Flink's shaded Jackson (always on a Flink classpath). */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getMessage(), e);
        }
    }

    /** {"op": 2, ...} to a map; an empty or missing text gives an empty map. */
    public static Map<String, Integer> intMap(String text) {
        Map<String, Integer> out = new HashMap<>();
        if (text == null || text.isBlank()) return out;
        JsonNode n = parse(text);
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asInt());
        }
        return out;
    }

    /** {"key": value, ...} with any scalar values, as strings. */
    public static Map<String, String> intMapAsStrings(String text) {
        Map<String, String> out = new HashMap<>();
        if (text == null || text.isBlank()) return out;
        JsonNode n = parse(text);
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    public static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
