package io.reactoruring.core;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of a linked chain ({@link UringLoop#submitLinked}, {@link UringLoop#submitHardLinked}),
 * one entry per op, in submission order. Immutable.
 *
 * <p>A soft chain ({@code submitLinked}) is emitted only when every op succeeded, so {@link #error}
 * is always null there. A hard chain ({@code submitHardLinked}) is emitted whatever its members'
 * outcomes: check each with {@link #succeeded} or {@link #error}.
 */
public final class ChainResult {
    private final int[] results;
    private final @Nullable Throwable[] errors;

    ChainResult(int[] results, @Nullable Throwable[] errors) {
        this.results = results.clone();
        this.errors = errors.clone();
    }

    /** The number of ops in the chain (every op submitted, including those the kernel cancelled). */
    public int size() {
        return results.length;
    }

    /** The CQE result of op {@code index}: {@code >= 0} on success, else {@code -errno}. */
    public int result(int index) {
        return results[index];
    }

    /** Whether op {@code index} succeeded: a result {@code >= 0}, or its {@link Op.Builder#acceptedErrno accepted errno}. */
    public boolean succeeded(int index) {
        return errors[index] == null;
    }

    /**
     * The failure of op {@code index} as the standard exception for its errno (see {@link Errno}; it
     * implements {@link UringError}), or null if it succeeded. A member of a hard chain that the
     * kernel could not run because of an earlier one answers with that errno here too.
     */
    public @Nullable Throwable error(int index) {
        return errors[index];
    }

    @Override
    public String toString() {
        return "ChainResult" + Arrays.toString(results);
    }
}
