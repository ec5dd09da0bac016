package io.reactoruring.core;

/**
 * A snapshot of one ring's counters, read with {@link UringLoop#metrics()}. Counters are totals
 * since the loop started; {@code inFlight} and {@code waiting} are current values.
 *
 * <p>Immutable: a snapshot taken on the loop thread at the end of an iteration and safe to read
 * from any thread; call {@link UringLoop#metrics()} again for newer values.
 *
 * @param submitted           operations handed to the kernel (a linked chain counts each member)
 * @param completed           CQEs delivered to operations (multishot ops deliver several)
 * @param inFlight            operations holding a slot: submitted, terminal CQE not yet seen (armed
 *                            multishot ops included); not bounded: the slot table grows
 * @param inFlightHighWater   the largest {@code inFlight} seen
 * @param maxInFlight         the name is historical: the per-iteration submission budget,
 *                            {@link RingOptions#submissionsPerIteration}, not a bound on {@code inFlight}
 * @param waiting             operations waiting in Java for the next iteration's submission budget
 * @param sqFullWaits         times the SQ filled up mid-batch and was submitted before taking more
 * @param inFlightLimitWaits  loop iterations that used up their submission budget and left operations
 *                            waiting for the next iteration
 * @param cqOverflows         times the kernel's CQ overflow list was flushed (completions delayed, none lost)
 * @param submitBusy          times the kernel answered -EBUSY and completions were reaped first
 * @param wakeups             times the loop woke from a blocking wait
 * @param enterCalls          io_uring_enter system calls the loop made (an upper bound with SQPOLL)
 * @param staleCompletions    CQEs for a recycled slot, counted and dropped
 * @param bufferRingExhaustions times an op found one of this loop's provided-buffer rings empty
 *                            ({@code -ENOBUFS}): the consumer holds every buffer, receiving pauses
 * @param iterations          loop iterations: each makes one JNI call, which normally makes one
 *                            io_uring_enter ({@code enterCalls / iterations} stays near 1; more when
 *                            a batch exceeds the SQ, the kernel answers -EBUSY or the CQ overflows, and
 *                            when completions start file I/O while the loop dispatches a burst of them:
 *                            that is submitted early, at most log2(burst) more calls)
 * @param fixedBufferOps      reads and writes through a pooled buffer of this loop submitted as
 *                            READ_FIXED/WRITE_FIXED (the buffer registered with the ring)
 * @param fixedBufferRegistrations pool blocks registered with the ring (io_uring_register_buffers_update)
 * @param fixedFileOps        ops submitted on a direct descriptor (IOSQE_FIXED_FILE, the ring's file table)
 * @param incrementalBufferRings provided-buffer rings of this loop registered now with incremental consumption
 *                            ({@code IOU_PBUF_RING_INC}, Linux 6.12+): a current value, 0 where the kernel
 *                            lacks it or it is turned off (small messages then take whole buffers)
 * @param inlineReads         reads of this loop's files done on the calling thread without the ring
 *                            ({@code preadv2(RWF_NOWAIT)} of page-cached data, see {@code UringFile.read}):
 *                            they are in none of the ring's counters. Counted by the reading threads, so
 *                            current in every snapshot (the other counters are as of the loop's last iteration)
 */
public record UringMetrics(long submitted, long completed, long inFlight, long inFlightHighWater, long maxInFlight,
                           long waiting, long sqFullWaits, long inFlightLimitWaits, long cqOverflows, long submitBusy,
                           long wakeups, long enterCalls, long staleCompletions, long bufferRingExhaustions,
                           long iterations, long fixedBufferOps, long fixedBufferRegistrations, long fixedFileOps,
                           long incrementalBufferRings, long inlineReads) {

    /** The counters without {@code inlineReads} (0), for callers of the previous shape. */
    public UringMetrics(long submitted, long completed, long inFlight, long inFlightHighWater, long maxInFlight,
                        long waiting, long sqFullWaits, long inFlightLimitWaits, long cqOverflows, long submitBusy,
                        long wakeups, long enterCalls, long staleCompletions, long bufferRingExhaustions,
                        long iterations, long fixedBufferOps, long fixedBufferRegistrations, long fixedFileOps,
                        long incrementalBufferRings) {
        this(submitted, completed, inFlight, inFlightHighWater, maxInFlight, waiting, sqFullWaits, inFlightLimitWaits,
                cqOverflows, submitBusy, wakeups, enterCalls, staleCompletions, bufferRingExhaustions, iterations,
                fixedBufferOps, fixedBufferRegistrations, fixedFileOps, incrementalBufferRings, 0);
    }

    /** The counters without {@code incrementalBufferRings} (0), for callers of the previous shape. */
    public UringMetrics(long submitted, long completed, long inFlight, long inFlightHighWater, long maxInFlight,
                        long waiting, long sqFullWaits, long inFlightLimitWaits, long cqOverflows, long submitBusy,
                        long wakeups, long enterCalls, long staleCompletions, long bufferRingExhaustions,
                        long iterations, long fixedBufferOps, long fixedBufferRegistrations, long fixedFileOps) {
        this(submitted, completed, inFlight, inFlightHighWater, maxInFlight, waiting, sqFullWaits, inFlightLimitWaits,
                cqOverflows, submitBusy, wakeups, enterCalls, staleCompletions, bufferRingExhaustions, iterations,
                fixedBufferOps, fixedBufferRegistrations, fixedFileOps, 0);
    }

    /** The counters without the fixed-buffer and fixed-file counts (0), for callers of the previous shape. */
    public UringMetrics(long submitted, long completed, long inFlight, long inFlightHighWater, long maxInFlight,
                        long waiting, long sqFullWaits, long inFlightLimitWaits, long cqOverflows, long submitBusy,
                        long wakeups, long enterCalls, long staleCompletions, long bufferRingExhaustions,
                        long iterations) {
        this(submitted, completed, inFlight, inFlightHighWater, maxInFlight, waiting, sqFullWaits, inFlightLimitWaits,
                cqOverflows, submitBusy, wakeups, enterCalls, staleCompletions, bufferRingExhaustions, iterations, 0, 0, 0, 0);
    }

    /** The counters without {@code iterations} (0), for callers of the previous shape. */
    public UringMetrics(long submitted, long completed, long inFlight, long inFlightHighWater, long maxInFlight,
                        long waiting, long sqFullWaits, long inFlightLimitWaits, long cqOverflows, long submitBusy,
                        long wakeups, long enterCalls, long staleCompletions, long bufferRingExhaustions) {
        this(submitted, completed, inFlight, inFlightHighWater, maxInFlight, waiting, sqFullWaits, inFlightLimitWaits,
                cqOverflows, submitBusy, wakeups, enterCalls, staleCompletions, bufferRingExhaustions, 0, 0, 0, 0, 0);
    }

    /** The counters without {@code bufferRingExhaustions} and {@code iterations} (0), for callers of the original shape. */
    public UringMetrics(long submitted, long completed, long inFlight, long inFlightHighWater, long maxInFlight,
                        long waiting, long sqFullWaits, long inFlightLimitWaits, long cqOverflows, long submitBusy,
                        long wakeups, long enterCalls, long staleCompletions) {
        this(submitted, completed, inFlight, inFlightHighWater, maxInFlight, waiting, sqFullWaits, inFlightLimitWaits,
                cqOverflows, submitBusy, wakeups, enterCalls, staleCompletions, 0, 0, 0, 0, 0, 0);
    }
}
