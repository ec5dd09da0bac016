package io.reactoruring.core;

/**
 * One CQE of a multishot operation, as emitted by {@link UringLoop#submitMultishot(Op)}.
 *
 * <p>Emitted on the loop thread that reaped the CQE; a negative result other than the op's accepted
 * errno ends the {@code Flux} with the errno's exception instead (see {@link Errno}). Immutable.
 *
 * @param res   the kernel's result: a byte count, an fd, a poll mask, or {@code -errno}
 * @param flags the CQE flags ({@code Opcode.IORING_CQE_F_*})
 */
public record Completion(int res, int flags) {
    /** The kernel keeps the op armed after this CQE. */
    public boolean hasMore() {
        return (flags & Opcode.IORING_CQE_F_MORE) != 0;
    }

    /**
     * With an incrementally consumed ring ({@code IORING_CQE_F_BUF_MORE}): the kernel keeps filling this
     * CQE's buffer after the bytes it delivered here.
     */
    public boolean bufferMore() {
        return (flags & Opcode.IORING_CQE_F_BUF_MORE) != 0;
    }

    /** The provided-buffer id, or -1 when the kernel picked no buffer. */
    public int bufferId() {
        return (flags & Opcode.IORING_CQE_F_BUFFER) != 0 ? flags >>> Opcode.IORING_CQE_BUFFER_SHIFT : -1;
    }
}
