package io.reactoruring.core;

/**
 * A snapshot of one ring's counters, read with {@link UringLoop#metrics()}. Counters are totals
 * since the loop started; {@code inFlight} and {@code waiting} are current values.
 *
 * @param submitted           operations handed to the kernel (a linked chain counts each member)
 * @param completed           CQEs delivered to operations (multishot ops deliver several)
 * @param inFlight            operations holding a slot: submitted, terminal CQE not yet seen
 * @param inFlightHighWater   the largest {@code inFlight} seen; never above {@code maxInFlight}
 * @param maxInFlight         the bound on in-flight operations
 * @param waiting             operations waiting in Java for a slot or for SQ space
 * @param sqFullWaits         times the SQ filled up mid-batch and was submitted before taking more
 * @param inFlightLimitWaits  loop iterations that left operations waiting because all slots were taken
 * @param cqOverflows         times the kernel's CQ overflow list was flushed (completions delayed, none lost)
 * @param submitBusy          times the kernel answered -EBUSY and completions were reaped first
 * @param wakeups             times the loop woke from a blocking wait
 * @param enterCalls          io_uring_enter system calls the loop made (an upper bound with SQPOLL)
 * @param staleCompletions    CQEs for a recycled slot, counted and dropped
 * @param bufferRingExhaustions times an op found one of this loop's provided-buffer rings empty
 *                            ({@code -ENOBUFS}): the consumer holds every buffer, receiving pauses
 */
public record UringMetrics(long submitted, long completed, long inFlight, long inFlightHighWater, long maxInFlight,
                           long waiting, long sqFullWaits, long inFlightLimitWaits, long cqOverflows, long submitBusy,
                           long wakeups, long enterCalls, long staleCompletions, long bufferRingExhaustions) {

    /** The counters without {@code bufferRingExhaustions} (0), for callers of the original shape. */
    public UringMetrics(long submitted, long completed, long inFlight, long inFlightHighWater, long maxInFlight,
                        long waiting, long sqFullWaits, long inFlightLimitWaits, long cqOverflows, long submitBusy,
                        long wakeups, long enterCalls, long staleCompletions) {
        this(submitted, completed, inFlight, inFlightHighWater, maxInFlight, waiting, sqFullWaits, inFlightLimitWaits,
                cqOverflows, submitBusy, wakeups, enterCalls, staleCompletions, 0);
    }
}
