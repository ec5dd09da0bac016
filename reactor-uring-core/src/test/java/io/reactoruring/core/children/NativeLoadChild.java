package io.reactoruring.core.children;

import io.reactoruring.core.Uring;
import java.nio.file.Files;
import java.nio.file.Path;

/** Child of NativeLibraryVersionTest: says whether io_uring is usable and which JNI library file is mapped. */
public final class NativeLoadChild {
    private NativeLoadChild() {
    }

    public static void main(String[] args) throws Exception {
        Throwable cause = Uring.unavailabilityCause();
        System.out.println("CAUSE: " + (cause == null ? "none" : cause.getMessage()));
        Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(l -> l.contains("reactoruring") && l.contains(".so"))
                .map(l -> l.substring(l.indexOf('/')))
                .distinct()
                .forEach(l -> System.out.println("MAPPED: " + l));
    }
}
