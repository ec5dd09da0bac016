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

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public int getLoops() {
        return loops;
    }

    public void setLoops(int loops) {
        this.loops = loops;
    }

    public int getRingSize() {
        return ringSize;
    }

    public void setRingSize(int ringSize) {
        this.ringSize = ringSize;
    }

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

        public @Nullable String getLocation() {
            return location;
        }

        public void setLocation(@Nullable String location) {
            this.location = location;
        }

        public String getPathPattern() {
            return pathPattern;
        }

        public void setPathPattern(String pathPattern) {
            this.pathPattern = pathPattern;
        }

        public int getChunkSize() {
            return chunkSize;
        }

        public void setChunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
        }

        public boolean isZeroCopy() {
            return zeroCopy;
        }

        public void setZeroCopy(boolean zeroCopy) {
            this.zeroCopy = zeroCopy;
        }
    }
}
