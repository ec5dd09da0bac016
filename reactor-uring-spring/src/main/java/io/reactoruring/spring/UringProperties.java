package io.reactoruring.spring;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code reactor-uring.*} settings of {@link UringAutoConfiguration}.
 *
 * <pre>
 * reactor-uring.enabled=true                 # false: no io_uring beans at all
 * reactor-uring.loops=2                      # rings (one thread each); default: one per processor
 * reactor-uring.ring-size=256                # SQ entries per ring (power of two)
 * reactor-uring.resources.location=/srv/www  # optional: serve this directory ...
 * reactor-uring.resources.path-pattern=/**   # ... under this pattern
 * </pre>
 */
@ConfigurationProperties("reactor-uring")
public class UringProperties {
    /** Whether to create the io_uring loop group and the beans that use it. */
    private boolean enabled = true;
    /** Number of io_uring loops (rings, one thread each); 0 means one per available processor. */
    private int loops = 0;
    /** Submission queue entries per ring, a power of two in [2, 32768]. */
    private int ringSize = 256;
    private final Resources resources = new Resources();

    /** The defaults; Spring Boot binds {@code reactor-uring.*} onto it. */
    public UringProperties() {
    }

    /**
     * Whether the io_uring beans are created ({@code reactor-uring.enabled}, default true).
     *
     * @return the setting
     */
    public boolean isEnabled() {
        return enabled;
    }

    /**
     * Sets {@code reactor-uring.enabled}.
     *
     * @param enabled false: no io_uring beans at all
     */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * The number of loops ({@code reactor-uring.loops}); 0, the default, means one per available processor.
     *
     * @return the setting
     */
    public int getLoops() {
        return loops;
    }

    /**
     * Sets {@code reactor-uring.loops}.
     *
     * @param loops rings (one thread each), or 0 for one per available processor
     */
    public void setLoops(int loops) {
        this.loops = loops;
    }

    /**
     * SQ entries per ring ({@code reactor-uring.ring-size}, default 256).
     *
     * @return the setting
     */
    public int getRingSize() {
        return ringSize;
    }

    /**
     * Sets {@code reactor-uring.ring-size}; checked when the loops are created.
     *
     * @param ringSize a power of two in [2, 32768]
     */
    public void setRingSize(int ringSize) {
        this.ringSize = ringSize;
    }

    /**
     * The {@code reactor-uring.resources.*} settings (never null; bound in place).
     *
     * @return the settings
     */
    public Resources getResources() {
        return resources;
    }

    /** Static files served by {@link UringResources}, when {@code location} is set. */
    public static class Resources {
        /** Directory to serve; unset means no resource router is registered. */
        private @Nullable String location;
        /** Route pattern, ending in {@code /**}. */
        private String pathPattern = "/**";
        /** Bytes per io_uring read. */
        private int chunkSize = UringDataBuffers.DEFAULT_CHUNK_SIZE;
        /** Keep the server's sendfile path where it applies (plain HTTP, no compression). */
        private boolean zeroCopy = true;

        /** The defaults: no location, {@code /**}, the default chunk size, zero-copy kept. */
        public Resources() {
        }

        /**
         * The directory to serve ({@code reactor-uring.resources.location}); null, the default, registers no router.
         *
         * @return the setting
         */
        public @Nullable String getLocation() {
            return location;
        }

        /**
         * Sets {@code reactor-uring.resources.location}.
         *
         * @param location a directory, or null
         */
        public void setLocation(@Nullable String location) {
            this.location = location;
        }

        /**
         * The route pattern ({@code reactor-uring.resources.path-pattern}, default {@code /**}).
         *
         * @return the setting
         */
        public String getPathPattern() {
            return pathPattern;
        }

        /**
         * Sets {@code reactor-uring.resources.path-pattern}.
         *
         * @param pathPattern a pattern ending in {@code /**}
         */
        public void setPathPattern(String pathPattern) {
            this.pathPattern = pathPattern;
        }

        /**
         * Bytes per io_uring read ({@code reactor-uring.resources.chunk-size}).
         *
         * @return the setting
         */
        public int getChunkSize() {
            return chunkSize;
        }

        /**
         * Sets {@code reactor-uring.resources.chunk-size}.
         *
         * @param chunkSize bytes per read, {@code > 0}
         */
        public void setChunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
        }

        /**
         * Whether the server's sendfile path is kept where it applies ({@code reactor-uring.resources.zero-copy}, default true).
         *
         * @return the setting
         */
        public boolean isZeroCopy() {
            return zeroCopy;
        }

        /**
         * Sets {@code reactor-uring.resources.zero-copy}.
         *
         * @param zeroCopy false: always read through io_uring
         */
        public void setZeroCopy(boolean zeroCopy) {
            this.zeroCopy = zeroCopy;
        }
    }
}
