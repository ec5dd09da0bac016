package io.reactoruring.examples.http;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The part of a file a GET answers with, from its {@code Range} header (RFC 9110, 14).
 *
 * <p>Only a single range is honoured. A header with several ranges ({@code bytes=0-1,5-6}), another
 * unit, or invalid syntax is ignored and the whole file is served with 200, as RFC 9110 allows
 * ("a server MAY ignore the Range header field"); this avoids multipart/byteranges responses.
 *
 * @param start  first byte
 * @param length number of bytes
 * @param kind   whole file (200), a satisfiable single range (206), or unsatisfiable (416)
 */
record ByteRange(long start, long length, Kind kind) {
    enum Kind { WHOLE, PARTIAL, UNSATISFIABLE }

    /** Parses {@code header} (may be null) for a file of {@code size} bytes. */
    static ByteRange of(@Nullable String header, long size) {
        ByteRange whole = new ByteRange(0, size, Kind.WHOLE);
        if (header == null) {
            return whole;
        }
        String h = header.strip();
        if (!h.toLowerCase(Locale.ROOT).startsWith("bytes=") || h.indexOf(',') >= 0) {
            return whole;
        }
        String spec = h.substring("bytes=".length()).strip();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return whole;
        }
        String first = spec.substring(0, dash);
        String last = spec.substring(dash + 1);
        if (first.isEmpty()) { // suffix: the last N bytes
            if (!isNumber(last)) {
                return whole;
            }
            long n = Long.parseLong(last);
            if (n == 0 || size == 0) {
                return unsatisfiable();
            }
            long start = Math.max(0, size - n);
            return new ByteRange(start, size - start, Kind.PARTIAL);
        }
        if (!isNumber(first) || !(last.isEmpty() || isNumber(last))) {
            return whole;
        }
        long start = Long.parseLong(first);
        long end = last.isEmpty() ? Long.MAX_VALUE : Long.parseLong(last);
        if (end < start) {
            return whole; // an invalid range-spec: the header is ignored
        }
        if (start >= size) {
            return unsatisfiable();
        }
        long endInclusive = Math.min(end, size - 1);
        return new ByteRange(start, endInclusive - start + 1, Kind.PARTIAL);
    }

    private static ByteRange unsatisfiable() {
        return new ByteRange(0, 0, Kind.UNSATISFIABLE);
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 18) { // 18 digits always fit a long
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The Content-Range value of a 206 ({@code bytes 0-99/1000}). */
    String contentRange(long size) {
        return "bytes " + start + "-" + (start + length - 1) + "/" + size;
    }
}
