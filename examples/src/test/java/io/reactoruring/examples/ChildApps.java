package io.reactoruring.examples;

import io.reactoruring.core.testing.Poll;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** What the tests that start an example app in a child JVM share: its java, class path, output and port. */
public final class ChildApps {
    private ChildApps() {
    }

    /** This JVM's java launcher: the child runs on the same JDK as the test. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The test's class path entries. */
    public static List<String> classPath() {
        return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    }

    /** A class path entry only tests need (test classes, JUnit, AssertJ, Surefire, test starters). */
    public static boolean isTestOnly(String entry) {
        String name = Path.of(entry).getFileName().toString();
        return entry.endsWith("test-classes") || name.startsWith("surefire") || name.startsWith("junit-")
                || name.startsWith("assertj") || name.startsWith("opentest4j") || name.startsWith("apiguardian")
                || name.startsWith("reactor-test") || name.startsWith("spring-test") || name.startsWith("spring-boot-test")
                || name.startsWith("common-") || name.startsWith("maven-surefire");
    }

    /** What an app launched with {@code -cp} needs: the class path without test-only entries and Boot's launchers. */
    public static String runtimeClassPath() {
        List<String> cp = new ArrayList<>();
        for (String e : classPath()) {
            if (!isTestOnly(e) && !e.contains("spring-boot-loader") && !e.contains("spring-boot-jarmode-tools")) {
                cp.add(e);
            }
        }
        return String.join(File.pathSeparator, cp);
    }

    /** The copy of a child's output: the port it announced (0 if it exited first), and the copying thread. */
    public record Output(CompletableFuture<Integer> port, Thread copier) {
        /** Waits (bounded) until the child's output is all in the log, after the child ended. */
        public void awaitCopied() throws InterruptedException {
            copier.join(30_000);
        }
    }

    /**
     * Starts a thread copying the child's output to {@code log}; the port completes with the first port
     * {@code portOf} finds in a line (it returns null for other lines), or 0 if the child exits first.
     */
    public static Output pump(Process child, Path log, Function<String, Integer> portOf, String threadName) {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread copier = new Thread(() -> copy(child.getInputStream(), log, port, portOf), threadName);
        copier.setDaemon(true);
        copier.start();
        return new Output(port, copier);
    }

    private static void copy(InputStream in, Path log, CompletableFuture<Integer> port, Function<String, Integer> portOf) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
             OutputStream out = Files.newOutputStream(log)) {
            for (String line; (line = r.readLine()) != null; ) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                Integer p = portOf.apply(line);
                if (p != null) {
                    port.complete(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            port.completeExceptionally(e);
        } finally {
            port.complete(0);
        }
    }

    /**
     * GET {@code uri} with header name/value pairs; a failure (a timeout above all) names the request,
     * which a test's log of many requests otherwise does not.
     */
    public static HttpResponse<byte[]> get(HttpClient http, Duration timeout, String uri, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).timeout(timeout);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IOException("GET " + uri + " " + List.of(headers) + ": " + e, e);
        }
    }

    private static String logText(Path log) {
        try {
            return read(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** The child's output so far. */
    public static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /**
     * When a request to a child JVM times out, its threads say where it hangs: SIGQUIT makes the JVM
     * print a thread dump to its output, which {@link #pump} copies into the log. Waits (bounded) until
     * the dump is there.
     */
    public static void requestThreadDump(Process child, Path log) {
        if (!child.isAlive()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-QUIT", Long.toString(child.pid())).inheritIO().start().waitFor();
            // The dump ends with the heap summary (its Metaspace line); the pump copies it into the log.
            Poll.until(() -> logText(log).contains("Full thread dump") && logText(log).contains("Metaspace"));
        } catch (IOException e) {
            // no dump: the assertion message still carries the log
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
