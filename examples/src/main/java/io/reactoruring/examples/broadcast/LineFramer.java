package io.reactoruring.examples.broadcast;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits received bytes into lines ending with {@code \n} (kept), each in its own heap buffer; a
 * line may be split over receives. A line longer than the limit is an error (the sender is closed).
 */
final class LineFramer {
    private final int maxLine;
    private ByteBuffer partial = ByteBuffer.allocate(256);

    LineFramer(int maxLine) {
        this.maxLine = maxLine;
    }

    List<ByteBuffer> feed(ByteBuffer src) {
        List<ByteBuffer> out = new ArrayList<>(1);
        while (src.hasRemaining()) {
            byte b = src.get();
            if (!partial.hasRemaining()) {
                if (partial.capacity() >= maxLine) {
                    throw new IllegalStateException("line longer than " + maxLine + " bytes");
                }
                ByteBuffer bigger = ByteBuffer.allocate(Math.min(maxLine, partial.capacity() * 2));
                partial.flip();
                bigger.put(partial);
                partial = bigger;
            }
            partial.put(b);
            if (b == '\n') {
                partial.flip();
                ByteBuffer line = ByteBuffer.allocate(partial.remaining());
                line.put(partial).flip();
                out.add(line);
                partial.clear();
            }
        }
        return out;
    }
}
