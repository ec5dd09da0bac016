package io.reactoruring.benchmarks.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs wrk (HTTP/1.1 keep-alive load, one request in flight per connection) and parses its summary. */
final class Wrk {
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("([0-9]+) requests in");
    private static final Pattern PCT = Pattern.compile("^\\s+(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: ([0-9]+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile("Socket errors: (.*)");

    /** One wrk run's numbers; {@code problems} is empty when every response was 2xx and no socket failed. */
    record Result(double requestsPerSecond, long requests, double p50Micros, double p99Micros, String problems) {
    }

    private Wrk() {
    }

    static boolean available() {
        try {
            Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(5, TimeUnit.SECONDS);
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static Result run(String url, int threads, int connections, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency", url)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("wrk failed:\n" + out);
        }
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        Matcher m = PCT.matcher(out);
        while (m.find()) {
            double v = Double.parseDouble(m.group(2)) * switch (m.group(3)) {
                case "us" -> 1.0;
                case "ms" -> 1_000.0;
                default -> 1_000_000.0;
            };
            if (m.group(1).equals("50")) {
                p50 = v;
            } else {
                p99 = v;
            }
        }
        StringBuilder problems = new StringBuilder();
        Matcher non2xx = NON2XX.matcher(out);
        if (non2xx.find()) {
            problems.append(non2xx.group(1)).append(" non-2xx responses; ");
        }
        Matcher errors = SOCKET_ERRORS.matcher(out);
        if (errors.find()) {
            problems.append("socket errors: ").append(errors.group(1));
        }
        return new Result(find(RPS, out), (long) find(TOTAL, out), p50, p99, problems.toString());
    }

    private static double find(Pattern p, String out) throws IOException {
        Matcher m = p.matcher(out);
        if (!m.find()) {
            throw new IOException("unexpected wrk output:\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }
}
