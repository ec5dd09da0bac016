package io.reactoruring.file;

/** What {@link UringFile#fallocate} does with a range: the valid combinations of fallocate(2)'s mode bits. */
public enum FallocateMode {
    /** Mode 0: allocate disk space for the range, extending the file if the range ends past it. */
    ALLOCATE(0),
    /** FALLOC_FL_KEEP_SIZE: allocate disk space, but never change the file size. */
    KEEP_SIZE(0x01),
    /** FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE: deallocate the range; it then reads as zeros; the size is kept. */
    PUNCH_HOLE(0x02 | 0x01),
    /** FALLOC_FL_ZERO_RANGE: the range reads as zeros afterwards; the file grows if the range ends past it. */
    ZERO_RANGE(0x10),
    /** FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE: zero the range, never changing the size. */
    ZERO_RANGE_KEEP_SIZE(0x10 | 0x01);

    final int linuxMode;

    FallocateMode(int linuxMode) {
        this.linuxMode = linuxMode;
    }

    boolean keepsSize() {
        return (linuxMode & 0x01) != 0;
    }
}
