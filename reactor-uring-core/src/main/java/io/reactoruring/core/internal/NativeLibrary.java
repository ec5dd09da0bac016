package io.reactoruring.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads libreactoruring: first from {@code java.library.path}, then from the core jar
 * ({@code META-INF/native/<os>-<arch>/}), extracted to a temporary file.
 */
final class NativeLibrary {
    private static final String NAME = "reactoruring";
    private static volatile boolean loaded;

    private NativeLibrary() {
    }

    static synchronized void load() {
        if (loaded) {
            return;
        }
        UnsatisfiedLinkError fromPath;
        try {
            System.loadLibrary(NAME);
            loaded = true;
            return;
        } catch (UnsatisfiedLinkError e) {
            fromPath = e;
        }
        String resource = "/META-INF/native/" + platform() + "/lib" + NAME + ".so";
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                UnsatisfiedLinkError e = new UnsatisfiedLinkError("lib" + NAME + ".so is neither on java.library.path nor in the jar at "
                        + resource + " (this platform: " + platform() + "; reactor-uring supports Linux only)");
                e.addSuppressed(fromPath);
                throw e;
            }
            Path tmp = Files.createTempFile("lib" + NAME + "-", ".so");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toAbsolutePath().toString());
            } finally {
                // Once mapped, the file is no longer needed: unlinking now avoids leaving temp files behind.
                Files.deleteIfExists(tmp);
            }
            loaded = true;
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot extract lib" + NAME + ".so from the jar: " + e);
            error.initCause(e);
            throw error;
        }
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).replace(" ", "");
        String arch = System.getProperty("os.arch", "");
        if (arch.equals("amd64")) {
            arch = "x86_64";
        }
        return os + "-" + arch;
    }
}
