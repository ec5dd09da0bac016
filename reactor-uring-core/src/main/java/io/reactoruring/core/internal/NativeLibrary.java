package io.reactoruring.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Loads {@code libreactoruring-<version>.so}, the JNI library of exactly this build.
 *
 * <p>The jar's copy ({@code META-INF/native/<os>-<arch>/}, extracted to a temporary file) comes
 * first. Only when the jar has none for this platform is {@code java.library.path} searched, and
 * then only for the file name carrying this build's exact version: a library left there by another
 * version (whose descriptor layouts or entry points may differ) is never loaded. The version comes
 * from {@code META-INF/native/reactoruring.version}, written by the native build next to the .so
 * files, and the loaded library must report the same one ({@link Native#libraryVersion()}).
 *
 * <p>Every failure is an {@link UnsatisfiedLinkError} whose message says what to do, remembered
 * and rethrown on later calls (nothing is extracted twice). On JDK 22+ with
 * {@code --illegal-native-access=deny}, {@code System.load} throws {@link IllegalCallerException};
 * that too becomes an {@code UnsatisfiedLinkError}, naming the {@code --enable-native-access} flag,
 * so that callers fall back instead of dying.
 */
final class NativeLibrary {
    private static final String NAME = "reactoruring";
    private static final String VERSION_RESOURCE = "/META-INF/native/reactoruring.version";
    private static volatile boolean loaded;
    private static volatile @Nullable UnsatisfiedLinkError failure;

    private NativeLibrary() {
    }

    static void load() {
        if (!loaded) {
            loadOnce();
        }
    }

    /** Whether {@link #load()} succeeds; after the first attempt, answered without locking. */
    static boolean isLoadable() {
        if (loaded) {
            return true;
        }
        if (failure != null) {
            return false;
        }
        try {
            load();
            return true;
        } catch (LinkageError e) {
            return false;
        }
    }

    private static synchronized void loadOnce() {
        if (loaded) {
            return;
        }
        UnsatisfiedLinkError failed = failure;
        if (failed != null) {
            throw failed;
        }
        try {
            doLoad();
            loaded = true;
        } catch (UnsatisfiedLinkError e) {
            failure = e;
            throw e;
        }
    }

    /** The file name this build loads, e.g. {@code libreactoruring-0.1.0.so}; null if the version is unknown. */
    static @Nullable String fileName() {
        String version = version();
        return version == null ? null : System.mapLibraryName(libraryName(version));
    }

    /** This build's version as written by the native build, or null if the resource is missing. */
    static @Nullable String version() {
        try (InputStream in = NativeLibrary.class.getResourceAsStream(VERSION_RESOURCE)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return null;
        }
    }

    private static String libraryName(String version) {
        return NAME + "-" + version;
    }

    private static void doLoad() {
        String version = version();
        if (version == null) {
            throw new UnsatisfiedLinkError("reactor-uring's " + VERSION_RESOURCE + " is missing from the class path "
                    + "(this platform: " + platform() + "; reactor-uring supports Linux x86_64 and aarch64 only)");
        }
        String file = System.mapLibraryName(libraryName(version));
        String resource = "/META-INF/native/" + platform() + "/" + file;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in != null) {
                Path tmp = Files.createTempFile("lib" + NAME + "-", ".so");
                try {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    systemLoad(() -> System.load(tmp.toAbsolutePath().toString()));
                } finally {
                    // Once mapped, the file is no longer needed: unlinking now avoids leaving temp files behind.
                    Files.deleteIfExists(tmp);
                }
            } else {
                try {
                    systemLoad(() -> System.loadLibrary(libraryName(version)));
                } catch (UnsatisfiedLinkError e) {
                    UnsatisfiedLinkError error = new UnsatisfiedLinkError(file + " is neither in the jar at " + resource
                            + " nor on java.library.path (this platform: " + platform()
                            + "; reactor-uring supports Linux x86_64 and aarch64 only; other versions' files are ignored)");
                    error.addSuppressed(e);
                    throw error;
                }
            }
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot extract " + file + " from the jar: " + e);
            error.initCause(e);
            throw error;
        }
        String actual = Native.libraryVersion();
        if (!version.equals(actual)) {
            throw new UnsatisfiedLinkError(file + " reports version " + actual + ", expected " + version);
        }
    }

    /** Runs a System.load/loadLibrary call, turning a refused restricted method into a link error. */
    private static void systemLoad(Runnable load) {
        try {
            load.run();
        } catch (IllegalCallerException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError("loading reactor-uring's JNI library was refused: "
                    + e.getMessage() + "; run the JVM with " + nativeAccessFlag()
                    + " (JDK 22+ with --illegal-native-access=deny refuses it otherwise)");
            error.initCause(e);
            throw error;
        }
    }

    /** {@code --enable-native-access=} for this module, or ALL-UNNAMED on the class path. */
    static String nativeAccessFlag() {
        Module module = NativeLibrary.class.getModule();
        return "--enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED");
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
