package io.reactoruring.net;

import io.reactoruring.core.buffer.BufferRing;

/**
 * How a connection receives and sends, shared by the server and client builders.
 *
 * @param receiveBufferSize  bytes per receive buffer
 * @param receiveRingEntries buffers in the provided-buffer ring of a multishot receive (a power of
 *                           two), 0 for one plain RECV per requested buffer
 * @param zeroCopyThreshold  buffers of at least this many bytes are sent with IORING_OP_SEND_ZC
 *                           where the kernel has it; 0 never
 */
record ConnectionSettings(int receiveBufferSize, int receiveRingEntries, int zeroCopyThreshold) {
    static final int DEFAULT_RECEIVE_BUFFER = 16 * 1024;
    static final int DEFAULT_RING_ENTRIES = 16;
    static final ConnectionSettings DEFAULTS = new ConnectionSettings(DEFAULT_RECEIVE_BUFFER, DEFAULT_RING_ENTRIES, 0);

    ConnectionSettings withReceiveBufferSize(int bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("receiveBufferSize must be > 0, was " + bytes);
        }
        if (receiveRingEntries > 0) {
            BufferRing.checkSize(receiveRingEntries, bytes);
        }
        return new ConnectionSettings(bytes, receiveRingEntries, zeroCopyThreshold);
    }

    ConnectionSettings withReceiveRingEntries(int entries) {
        if (entries != 0) {
            BufferRing.checkSize(entries, receiveBufferSize);
        }
        return new ConnectionSettings(receiveBufferSize, entries, zeroCopyThreshold);
    }

    ConnectionSettings withZeroCopyThreshold(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("zeroCopyThreshold must be >= 0 (0 = never), was " + bytes);
        }
        return new ConnectionSettings(receiveBufferSize, receiveRingEntries, bytes);
    }
}
