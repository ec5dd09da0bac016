package io.reactoruring.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.Uring;
import io.reactoruring.core.testing.ChildJvm;
import io.reactoruring.core.children.NativeLoadChild;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JNI library's file name carries the build's version, so a stale copy on
 * {@code java.library.path} is never loaded instead of the jar's: the jar's copy wins over any file
 * there, and without one in the jar only the exact version's file is taken. Each case needs a JVM of
 * its own (a library loads once per JVM); the stale copies are the real library under other names,
 * so loading one would succeed and show in the child's /proc/self/maps.
 */
class NativeLibraryVersionTest {
    @TempDir
    Path dir;
    private Path libPath;
    private Path real;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Uring.isAvailable(), "needs the library of this platform");
        libPath = Files.createDirectories(dir.resolve("libpath"));
        real = dir.resolve("real.so");
        try (InputStream in = NativeLibrary.class.getResourceAsStream(
                "/META-INF/native/" + NativeLibrary.platform() + "/" + NativeLibrary.fileName())) {
            assertThat(in).as("the jar's library").isNotNull();
            Files.copy(in, real);
        }
    }

    @Test
    void theFileNameCarriesTheVersion() {
        assertThat(NativeLibrary.version()).isNotBlank();
        assertThat(NativeLibrary.fileName()).isEqualTo("libreactoruring-" + NativeLibrary.version() + ".so");
        assertThat(Native.libraryVersion()).isEqualTo(NativeLibrary.version());
    }

    @Test
    void theJarsCopyWinsOverAnyCopyOnTheLibraryPath() throws Exception {
        for (String stale : List.of("libreactoruring.so", "libreactoruring-0.0.1.so", NativeLibrary.fileName())) {
            Files.copy(real, libPath.resolve(stale));
        }
        ChildJvm.Result r = child(System.getProperty("java.class.path"));
        assertThat(r.output()).as("%s", r).contains("CAUSE: none");
        assertThat(mapped(r)).as("%s", r).isNotEmpty().noneMatch(m -> m.startsWith(libPath.toString()));
    }

    @Test
    void withoutOneInTheJarOnlyTheExactVersionIsLoadedFromTheLibraryPath() throws Exception {
        String classPath = classPathWithoutJarLibraries();
        for (String stale : List.of("libreactoruring.so", "libreactoruring-0.0.1.so")) {
            Files.copy(real, libPath.resolve(stale));
        }
        ChildJvm.Result stale = child(classPath);
        assertThat(stale.output()).as("%s", stale).contains("is neither in the jar").contains(NativeLibrary.fileName());
        assertThat(mapped(stale)).as("%s", stale).isEmpty();

        Files.copy(real, libPath.resolve(NativeLibrary.fileName()));
        ChildJvm.Result exact = child(classPath);
        assertThat(exact.output()).as("%s", exact).contains("CAUSE: none");
        assertThat(mapped(exact)).as("%s", exact).containsExactly(libPath.resolve(NativeLibrary.fileName()).toString());
    }

    private ChildJvm.Result child(String classPath) throws Exception {
        List<String> command = new ArrayList<>(List.of(ChildJvm.currentJava().toString(),
                "-Djava.library.path=" + libPath, "-cp", classPath, NativeLoadChild.class.getName()));
        ChildJvm.Result r = ChildJvm.exec(command);
        assertThat(r.exitCode()).as("%s", r).isZero();
        return r;
    }

    private static List<String> mapped(ChildJvm.Result r) {
        return r.output().lines().filter(l -> l.startsWith("MAPPED: ")).map(l -> l.substring(8)).toList();
    }

    /** The test class path with core's classes copied without their META-INF/native/linux-* libraries. */
    private String classPathWithoutJarLibraries() throws IOException {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p.resolve("META-INF/native"))) {
                Path copy = dir.resolve("classes");
                try (Stream<Path> files = Files.walk(p)) {
                    for (Path f : files.collect(Collectors.toList())) {
                        Path target = copy.resolve(p.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(target);
                        } else if (!f.toString().endsWith(".so")) {
                            Files.copy(f, target);
                        }
                    }
                }
                entries.add(copy.toString());
            } else {
                entries.add(entry);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }
}
