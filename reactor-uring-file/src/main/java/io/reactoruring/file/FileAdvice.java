package io.reactoruring.file;

/** posix_fadvise(2) advice for {@link UringFile#fadvise}: how the application expects to use a range. */
public enum FileAdvice {
    /** No special treatment (the default). */
    NORMAL(0),
    /** Random access: the kernel reads ahead less. */
    RANDOM(1),
    /** Sequential access: the kernel reads ahead more. */
    SEQUENTIAL(2),
    /** The range will be needed soon: the kernel starts reading it into the page cache. */
    WILL_NEED(3),
    /** The range will not be needed soon: clean cached pages may be dropped. */
    DONT_NEED(4),
    /** The range will be accessed once (a no-op on Linux). */
    NO_REUSE(5);

    final int linuxValue;

    FileAdvice(int linuxValue) {
        this.linuxValue = linuxValue;
    }
}
