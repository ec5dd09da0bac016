package io.reactoruring.core.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The running kernel's version, for features the io_uring probe cannot report (a register flag, an
 * SQE field's meaning): compared against {@code os.version}. Internal: exported only to the file and
 * net modules.
 */
public final class KernelVersion {
    private static final Pattern MAJOR_MINOR = Pattern.compile("^(\\d+)\\.(\\d+)");

    private KernelVersion() {
    }

    /**
     * True when {@code release} ("6.18.0-1-amd64") is at least {@code major.minor}; false if unreadable.
     *
     * @param release a kernel release string, as {@code uname -r} or {@code os.version} give it
     * @param major the major version required
     * @param minor the minor version required
     * @return whether the release is that version or later
     */
    public static boolean atLeast(String release, int major, int minor) {
        Matcher m = MAJOR_MINOR.matcher(release);
        if (!m.find()) {
            return false;
        }
        try {
            int ma = Integer.parseInt(m.group(1));
            int mi = Integer.parseInt(m.group(2));
            return ma > major || ma == major && mi >= minor;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * {@link #atLeast} for this JVM's kernel ({@code os.version}).
     *
     * @param major the major version required
     * @param minor the minor version required
     * @return whether the running kernel is that version or later
     */
    public static boolean runningAtLeast(int major, int minor) {
        return atLeast(System.getProperty("os.version", ""), major, minor);
    }
}
