package io.reactoruring.core;

import java.util.Arrays;

/** The results of a linked chain ({@link UringLoop#submitLinked}), one per op, in submission order. */
public final class ChainResult {
    private final int[] results;

    ChainResult(int[] results) {
        this.results = results.clone();
    }

    public int size() {
        return results.length;
    }

    /** The CQE result of op {@code index}. */
    public int result(int index) {
        return results[index];
    }

    @Override
    public String toString() {
        return "ChainResult" + Arrays.toString(results);
    }
}
