package lab.streamtune.flink.source;

import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The total target rate (records/s) of the job's sources, changeable while the job runs. When a rate URL is
 * given (http://... served by the harness, or file:///... holding a number), it is polled every pollMs; the
 * body is a plain number or JSON with a "rate" field. If the URL cannot be read the last known rate stays.
 */
final class RateControl {
    private static final Pattern NUMBER = Pattern.compile("(-?[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)");
    private volatile double rate;
    private final String url;

    RateControl(double initialRate, String url) {
        this.rate = initialRate;
        this.url = url == null || url.isBlank() ? null : url;
    }

    double rate() {
        return rate;
    }

    void start(ScheduledExecutorService timer, long pollMs) {
        if (url == null) return;
        timer.scheduleWithFixedDelay(this::poll, 0, pollMs, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        try {
            URL u = URI.create(url).toURL();
            URLConnection c = u.openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(1000);
            try (InputStream in = c.getInputStream()) {
                String body = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
                Double v = parse(body);
                if (v != null && v >= 0 && !v.isInfinite()) rate = v;
            }
        } catch (Exception e) {
            // keep the last known rate; the harness may be restarting its endpoint
        }
    }

    static Double parse(String body) {
        String b = body.trim();
        int at = b.indexOf("\"rate\"");
        Matcher m = NUMBER.matcher(at >= 0 ? b.substring(at + 6) : b);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }
}
