package io.reactoruring.examples.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** IMF-fixdate (RFC 9110, 5.6.7): {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
final class HttpDate {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** The current second and its formatted form, replaced together (one immutable pair). */
    private record Cached(long second, String text) {
    }

    private static volatile Cached now = new Cached(-1, "");

    private HttpDate() {
    }

    static String format(Instant instant) {
        return IMF_FIXDATE.format(instant);
    }

    /** The Date header value for now, formatted at most once per second. */
    static String now() {
        long second = System.currentTimeMillis() / 1000;
        Cached c = now;
        if (c.second != second) {
            c = new Cached(second, format(Instant.ofEpochSecond(second)));
            now = c;
        }
        return c.text;
    }
}
