package lab.streamtune.flink.util;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Minimal "--key value" argument parser. A value starting with '@' is read from that file. */
public final class Args implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Map<String, String> values = new LinkedHashMap<>();

    public static Args parse(String[] argv) {
        Args a = new Args();
        for (int i = 0; i < argv.length; i++) {
            String k = argv[i];
            if (!k.startsWith("--")) throw new IllegalArgumentException("expected --key, got '" + k + "'");
            String key = k.substring(2);
            String value = "true";
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                value = argv[++i];
            }
            a.values.put(key, value);
        }
        return a;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public String get(String key, String dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        if (v.startsWith("@")) {
            try {
                return Files.readString(Path.of(v.substring(1)), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("--" + key + ": cannot read " + v.substring(1), e);
            }
        }
        return v;
    }

    public String require(String key) {
        String v = get(key, null);
        if (v == null) throw new IllegalArgumentException("missing --" + key);
        return v;
    }

    public long getLong(String key, long dflt) {
        String v = get(key, null);
        return v == null ? dflt : Long.parseLong(v.trim());
    }

    public int getInt(String key, int dflt) {
        String v = get(key, null);
        return v == null ? dflt : Integer.parseInt(v.trim());
    }

    public double getDouble(String key, double dflt) {
        String v = get(key, null);
        return v == null ? dflt : Double.parseDouble(v.trim());
    }

    public Map<String, String> asMap() {
        return values;
    }
}
