package io.reactoruring.examples.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.examples.ChildApps;
import io.reactoruring.file.nio.UringFileSystemProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProviderHostApp}, a stock Spring Boot WebFlux app, started in a child JVM with reactor-uring's
 * default file system provider, the two ways docs/default-provider.md documents: on an exploded class
 * path (what an IDE, {@code mvn exec} or a container image with {@code -cp} does), and from a Boot fat
 * jar through Boot's own {@code java -Djarmode=tools -jar app.jar extract}, whose {@code app.jar}
 * puts every jar on the system class path (a plain {@code java -jar} of the fat jar cannot work: the
 * JVM loads the default provider through the system class loader, which does not see
 * {@code BOOT-INF/lib}). Each run must serve static resources with 200, 206 and 304, let Boot's
 * component scanning and {@code Files.probeContentType} work, and open Spring's file channels on
 * io_uring. Both runs take about 25 s each on a loaded 2-core machine (a Boot start each, plus the
 * extract).
 */
class ProviderHostAppTest {
    private static final String PROVIDER =
            "-Djava.nio.file.spi.DefaultFileSystemProvider=" + UringFileSystemProvider.class.getName();
    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(T).build(); // the apps speak HTTP/1.1: no h2c upgrade attempts

    @Test
    void explodedClassPath() throws Exception {
        Path site = site();
        exercise(List.of("-cp", ChildApps.runtimeClassPath(), ProviderHostApp.class.getName()), site);
    }

    @Test
    void fatJarExtractedByBootsJarmodeTools() throws Exception {
        Path site = site();
        Path fat = fatJar(tmp.resolve("app.jar"));
        Path extracted = tmp.resolve("extracted");
        // Boot's documented efficient deployment layout: app.jar whose manifest Class-Path lists lib/*.jar.
        Process extract = new ProcessBuilder(ChildApps.java(), "-Djarmode=tools", "-jar", fat.toString(), "extract",
                "--destination", extracted.toString()).redirectErrorStream(true).start();
        String extractOut = new String(extract.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(extract.waitFor(2, TimeUnit.MINUTES)).as(extractOut).isTrue();
        assertThat(extract.exitValue()).as(extractOut).isZero();
        Path app = extracted.resolve("app.jar");
        assertThat(app).as(extractOut).isRegularFile();
        try (Stream<Path> lib = Files.list(extracted.resolve("lib"))) {
            assertThat(lib.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("reactor-uring-file")).anyMatch(n -> n.startsWith("reactor-core"));
        }
        exercise(List.of("-jar", app.toString()), site);
    }

    // ------------------------------------------------------------------ the checks on a running app

    private void exercise(List<String> launch, Path site) throws Exception {
        List<String> command = new ArrayList<>(List.of(ChildApps.java(), PROVIDER, "-Xshare:auto", "-XX:TieredStopAtLevel=1"));
        command.addAll(launch);
        command.add("--site.dir=" + site);
        Path log = tmp.resolve("app-" + System.nanoTime() + ".log");
        Process app = new ProcessBuilder(command).redirectErrorStream(true).start();
        ChildApps.Output output = ChildApps.pump(app, log,
                line -> line.startsWith("PORT=") ? Integer.valueOf(line.substring(5).trim()) : null, "provider-app-output");
        try {
            int p = output.port().get(3, TimeUnit.MINUTES); // a bound against a hung child, not a timing check
            assertThat(p).as("app started; log:%n%s", ChildApps.read(log)).isPositive();
            try {
                checkRequests("http://127.0.0.1:" + p, site, log);
            } catch (Exception | AssertionError e) {
                ChildApps.requestThreadDump(app, log);
                throw new AssertionError(e + "; log (with a thread dump if it hung):\n" + ChildApps.read(log), e);
            }
        } finally {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
        assertThat(ChildApps.read(log)).doesNotContain("ProviderMismatchException", "ClassCastException",
                "ExceptionInInitializerError", "NoClassDefFoundError");
    }

    private void checkRequests(String base, Path site, Path log) throws Exception {
        byte[] data = Files.readAllBytes(site.resolve("data.bin"));
        for (String path : List.of("/data.bin", "/hello.html")) {
            HttpResponse<byte[]> full = get(base + path);
            assertThat(full.statusCode()).as("%s; log:%n%s", path, ChildApps.read(log)).isEqualTo(200);
            if (path.equals("/data.bin")) {
                assertThat(full.body()).isEqualTo(data);
            } else {
                assertThat(new String(full.body(), StandardCharsets.UTF_8)).contains("served from the class path");
            }
            // 304: both validators Boot's static resources send
            String etag = full.headers().firstValue("ETag").orElse(null);
            String lastModified = full.headers().firstValue("Last-Modified").orElseThrow();
            assertThat(get(base + path, "If-Modified-Since", lastModified).statusCode()).isEqualTo(304);
            if (etag != null) {
                assertThat(get(base + path, "If-None-Match", etag).statusCode()).isEqualTo(304);
            }
        }
        // 206 (Reactor Netty serves file resources and their ranges with zero-copy sendfile, not a channel)
        HttpResponse<byte[]> range = get(base + "/data.bin", "Range", "bytes=1000-50999");
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.headers().firstValue("Content-Range")).hasValue("bytes 1000-50999/" + data.length);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(data, 1000, 51000));
        HttpResponse<byte[]> tail = get(base + "/data.bin", "Range", "bytes=-100");
        assertThat(tail.statusCode()).isEqualTo(206);
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(data, data.length - 100, data.length));

        HttpResponse<byte[]> read = get(base + "/read/data.bin");
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo(data);
        assertThat(body(get(base + "/probe/hello.html"))).isEqualTo("type=text/html\n");

        String provider = body(get(base + "/provider"));
        assertThat(provider).startsWith("provider=" + UringFileSystemProvider.class.getName() + " ");
        // DataBufferUtils.read(Path) opened its AsynchronousFileChannel on io_uring, nothing fell back
        assertThat(provider).contains("uringChannels=1 ", "fallbackChannels=0");
    }

    private HttpResponse<byte[]> get(String uri, String... headers) throws Exception {
        return ChildApps.get(http, T, uri, headers);
    }

    private static String body(HttpResponse<byte[]> r) {
        assertThat(r.statusCode()).isEqualTo(200);
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private Path site() throws IOException {
        Path site = Files.createDirectories(tmp.resolve("site"));
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        Files.write(site.resolve("data.bin"), data);
        Files.writeString(site.resolve("hello.html"), "<p>not this one: the class path's comes first</p>");
        return site;
    }

    // ------------------------------------------------------------------ a Boot fat jar, as spring-boot-maven-plugin lays it out

    /**
     * The layout {@code spring-boot-maven-plugin:repackage} writes: Boot's loader at the root,
     * {@code BOOT-INF/classes} (this module's classes), {@code BOOT-INF/lib} (every runtime jar, stored,
     * plus spring-boot-jarmode-tools), the class path index and the manifest naming JarLauncher. Module
     * directories on the test class path (reactor-uring's own, when Maven runs the reactor) become jars.
     */
    private Path fatJar(Path target) throws IOException {
        String loaderJar = null;
        String appClasses = null;
        List<Path> libs = new ArrayList<>();
        Path built = Files.createDirectories(tmp.resolve("module-jars"));
        for (String e : ChildApps.classPath()) {
            Path p = Path.of(e);
            if (ChildApps.isTestOnly(e)) {
                continue;
            }
            if (p.getFileName().toString().startsWith("spring-boot-loader")) {
                loaderJar = e;
            } else if (Files.isDirectory(p) && p.getParent().getParent().getFileName().toString().equals("examples")) {
                appClasses = e;
            } else if (Files.isDirectory(p)) {
                libs.add(jarDirectory(p, built.resolve(p.getParent().getParent().getFileName() + ".jar")));
            } else if (Files.isRegularFile(p)) {
                libs.add(p);
            }
        }
        assertThat(loaderJar).as("spring-boot-loader on the test class path").isNotNull();
        assertThat(appClasses).as("examples/target/classes on the test class path").isNotNull();
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(Attributes.Name.MAIN_CLASS, "org.springframework.boot.loader.launch.JarLauncher");
        a.putValue("Start-Class", ProviderHostApp.class.getName());
        a.putValue("Spring-Boot-Classes", "BOOT-INF/classes/");
        a.putValue("Spring-Boot-Lib", "BOOT-INF/lib/");
        a.putValue("Spring-Boot-Classpath-Index", "BOOT-INF/classpath.idx");
        a.putValue("Spring-Boot-Version", org.springframework.boot.SpringBootVersion.getVersion());
        StringBuilder index = new StringBuilder();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(target), m)) {
            try (JarFile loader = new JarFile(loaderJar)) {
                for (JarEntry e : java.util.Collections.list(loader.entries())) {
                    if (e.getName().startsWith("org/") && !e.isDirectory()) {
                        out.putNextEntry(new JarEntry(e.getName()));
                        try (InputStream in = loader.getInputStream(e)) {
                            in.transferTo(out);
                        }
                    }
                }
            }
            Path classes = Path.of(appClasses);
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    out.putNextEntry(new JarEntry("BOOT-INF/classes/" + classes.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, out);
                }
            }
            for (Path lib : libs) {
                String name = "BOOT-INF/lib/" + lib.getFileName();
                byte[] bytes = Files.readAllBytes(lib);
                CRC32 crc = new CRC32();
                crc.update(bytes);
                JarEntry e = new JarEntry(name);
                e.setMethod(ZipEntry.STORED); // nested jars must be stored for Boot's loader
                e.setSize(bytes.length);
                e.setCompressedSize(bytes.length);
                e.setCrc(crc.getValue());
                out.putNextEntry(e);
                out.write(bytes);
                if (!lib.getFileName().toString().startsWith("spring-boot-jarmode-tools")) {
                    index.append("- \"").append(name).append("\"\n");
                }
            }
            out.putNextEntry(new JarEntry("BOOT-INF/classpath.idx"));
            out.write(index.toString().getBytes(StandardCharsets.UTF_8));
        }
        return target;
    }

    private static Path jarDirectory(Path dir, Path target) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(target));
             Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
            }
        }
        return target;
    }
}
