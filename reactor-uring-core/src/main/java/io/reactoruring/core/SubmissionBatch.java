package io.reactoruring.core;

import io.reactoruring.core.internal.Native;
import io.reactoruring.core.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The op descriptors of one loop iteration, in native memory, handed to the kernel in one JNI call
 * ({@link Native#enter}). Grows when an iteration needs more room (e.g. many cancellations at
 * once). Loop thread only.
 */
final class SubmissionBatch implements AutoCloseable {
    private long address;
    private ByteBuffer buf;
    private int capacity;
    private int count;

    SubmissionBatch(int initialCapacity) {
        allocate(initialCapacity);
    }

    private void allocate(int capacity) {
        long bytes = (long) capacity * Native.DESC_SIZE;
        long a = NativeMemory.allocate(bytes, 64);
        ByteBuffer b = Native.wrap(a, (int) bytes).order(ByteOrder.nativeOrder());
        if (buf != null) {
            b.put(0, buf, 0, count * Native.DESC_SIZE);
            NativeMemory.free(address, (long) this.capacity * Native.DESC_SIZE);
        }
        this.address = a;
        this.buf = b;
        this.capacity = capacity;
    }

    long address() {
        return address;
    }

    int count() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Appends one descriptor; {@code addr} and {@code sqeFlags} may differ from the op's own. */
    void add(Op op, int fd, long addr, int sqeFlags, long userData) {
        put(op.opcode, sqeFlags, op.ioprio, fd, op.off, addr, op.len, op.opFlags, userData, op.bufIndex, op.fileIndex);
    }

    /** {@link #add}, with the opcode and buf_index chosen at submission (READ_FIXED/WRITE_FIXED). */
    void add(Op op, int opcode, int bufIndex, int fd, long addr, int sqeFlags, long userData) {
        put(opcode, sqeFlags, op.ioprio, fd, op.off, addr, op.len, op.opFlags, userData, bufIndex, op.fileIndex);
    }

    /** Appends a descriptor built from raw fields (internal SQEs: cancel, link timeout, wakeup read). */
    void addRaw(int opcode, int fd, long addr, int len, long off, int opFlags, int sqeFlags, long userData) {
        put(opcode, sqeFlags, 0, fd, off, addr, len, opFlags, userData, 0, 0);
    }

    /** A CLOSE (or other op on no fd) of direct-descriptor slot {@code fileIndex - 1}. */
    void addRawFileIndex(int opcode, int fileIndex, long userData) {
        put(opcode, 0, 0, 0, 0, 0, 0, 0, userData, 0, fileIndex);
    }

    private void put(int opcode, int sqeFlags, int ioprio, int fd, long off, long addr, int len, int opFlags,
                     long userData, int bufIndex, int fileIndex) {
        if (count == capacity) {
            allocate(capacity * 2);
        }
        int p = count++ * Native.DESC_SIZE;
        if (PACKED) {
            putPacked(buf, p, opcode, sqeFlags, ioprio, fd, off, addr, len, opFlags, userData, bufIndex, fileIndex);
        } else {
            putFields(buf, p, opcode, sqeFlags, ioprio, fd, off, addr, len, opFlags, userData, bufIndex, fileIndex);
        }
    }

    /**
     * Whether {@link #putPacked} may be used: a little-endian machine (x86-64, aarch64) and the
     * descriptor layout it packs (byte, byte, short, int; int, int; short, short, int).
     */
    static final boolean PACKED = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
            && Native.DESC_SQE_FLAGS == Native.DESC_OPCODE + 1 && Native.DESC_IOPRIO == Native.DESC_OPCODE + 2
            && Native.DESC_FD == Native.DESC_OPCODE + 4 && Native.DESC_OP_FLAGS == Native.DESC_LEN + 4
            && Native.DESC_PERSONALITY == Native.DESC_BUF_INDEX + 2 && Native.DESC_FILE_INDEX == Native.DESC_BUF_INDEX + 4;

    /**
     * One descriptor as six 8-byte stores instead of twelve: this runs once per op, and every store
     * into a ByteBuffer is bounds-checked. Same bytes as {@link #putFields} (little-endian only).
     */
    static void putPacked(ByteBuffer b, int p, int opcode, int sqeFlags, int ioprio, int fd, long off, long addr,
                          int len, int opFlags, long userData, int bufIndex, int fileIndex) {
        b.putLong(p + Native.DESC_OPCODE, (opcode & 0xffL) | (sqeFlags & 0xffL) << 8 | (ioprio & 0xffffL) << 16
                | (long) fd << 32);
        b.putLong(p + Native.DESC_OFF, off);
        b.putLong(p + Native.DESC_ADDR, addr);
        b.putLong(p + Native.DESC_LEN, (len & 0xffffffffL) | (long) opFlags << 32);
        b.putLong(p + Native.DESC_USER_DATA, userData);
        b.putLong(p + Native.DESC_BUF_INDEX, (bufIndex & 0xffffL) | (long) fileIndex << 32); // personality 0
    }

    /** One descriptor, field by field. */
    static void putFields(ByteBuffer b, int p, int opcode, int sqeFlags, int ioprio, int fd, long off, long addr,
                          int len, int opFlags, long userData, int bufIndex, int fileIndex) {
        b.put(p + Native.DESC_OPCODE, (byte) opcode);
        b.put(p + Native.DESC_SQE_FLAGS, (byte) sqeFlags);
        b.putShort(p + Native.DESC_IOPRIO, (short) ioprio);
        b.putInt(p + Native.DESC_FD, fd);
        b.putLong(p + Native.DESC_OFF, off);
        b.putLong(p + Native.DESC_ADDR, addr);
        b.putInt(p + Native.DESC_LEN, len);
        b.putInt(p + Native.DESC_OP_FLAGS, opFlags);
        b.putLong(p + Native.DESC_USER_DATA, userData);
        b.putShort(p + Native.DESC_BUF_INDEX, (short) bufIndex);
        b.putShort(p + Native.DESC_PERSONALITY, (short) 0);
        b.putInt(p + Native.DESC_FILE_INDEX, fileIndex);
    }

    /** Sets IOSQE_IO_LINK on the most recently added descriptor. */
    void linkLast(int linkFlag) {
        int p = (count - 1) * Native.DESC_SIZE + Native.DESC_SQE_FLAGS;
        buf.put(p, (byte) (buf.get(p) | linkFlag));
    }

    /** The kernel took the first {@code consumed} descriptors; keep the rest for the next call. */
    void consumed(int consumed) {
        if (consumed >= count) {
            count = 0;
            return;
        }
        int rest = count - consumed;
        buf.put(0, buf, consumed * Native.DESC_SIZE, rest * Native.DESC_SIZE);
        count = rest;
    }

    @Override
    public void close() {
        NativeMemory.free(address, (long) capacity * Native.DESC_SIZE);
        address = 0;
    }
}
