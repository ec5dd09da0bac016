package io.reactoruring.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.internal.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The op descriptors Java writes for the native side. */
class SubmissionBatchTest {

    /** The packed stores (six longs per descriptor) write exactly the bytes of the field-by-field ones. */
    @Test
    void packedDescriptorsAreByteForByteTheFieldOnes() {
        assertThat(SubmissionBatch.PACKED).as("packed on this machine (little-endian)")
                .isEqualTo(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(42);
        ByteBuffer packed = ByteBuffer.allocate(Native.DESC_SIZE * 2).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer fields = ByteBuffer.allocate(Native.DESC_SIZE * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 10_000; i++) {
            // Garbage first, so a byte the packed form forgets to write shows up.
            for (int j = 0; j < packed.capacity(); j++) {
                byte g = (byte) r.nextInt();
                packed.put(j, g);
                fields.put(j, g);
            }
            // Extremes included: negative fds and sign bits in every field.
            int opcode = r.nextInt(256);
            int sqeFlags = i % 7 == 0 ? 0xff : r.nextInt();
            int ioprio = r.nextInt();
            int fd = i % 5 == 0 ? -1 : r.nextInt();
            long off = r.nextLong();
            long addr = r.nextLong();
            int len = r.nextInt();
            int opFlags = r.nextInt();
            long userData = i % 3 == 0 ? Long.MIN_VALUE | 2 : r.nextLong();
            int bufIndex = r.nextInt();
            int fileIndex = i % 11 == 0 ? -1 : r.nextInt();
            int p = Native.DESC_SIZE * (i & 1);
            SubmissionBatch.putPacked(packed, p, opcode, sqeFlags, ioprio, fd, off, addr, len, opFlags, userData,
                    bufIndex, fileIndex);
            SubmissionBatch.putFields(fields, p, opcode, sqeFlags, ioprio, fd, off, addr, len, opFlags, userData,
                    bufIndex, fileIndex);
            assertThat(packed.array()).as("descriptor %d", i).isEqualTo(fields.array());
        }
    }
}
