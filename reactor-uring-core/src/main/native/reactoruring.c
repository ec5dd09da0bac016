/*
 * reactor-uring JNI library: a thin, policy-free layer over liburing.
 *
 * Everything that decides anything lives in Java (io.reactoruring.core.internal.Native lists every
 * entry point). This file only sets rings up and down, turns a batch of compact op descriptors into
 * SQEs, submits and waits in one io_uring_enter where the kernel allows it, copies every ready CQE
 * into a Java-owned direct buffer, and performs registrations.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <liburing.h>

#include "io_reactoruring_core_internal_Native.h"

/* Must match Native.DESC_* in Java: one 48-byte descriptor per SQE. */
struct rr_desc {
    uint8_t  opcode;
    uint8_t  sqe_flags;
    uint16_t ioprio;
    int32_t  fd;
    uint64_t off;
    uint64_t addr;
    uint32_t len;
    uint32_t op_flags;     /* the SQE's flags union: rw_flags, timeout_flags, cancel_flags, ... */
    uint64_t user_data;
    uint16_t buf_index;    /* buf_index or buf_group */
    uint16_t personality;
    int32_t  file_index;   /* file_index or splice_fd_in */
};
_Static_assert(sizeof(struct rr_desc) == 48, "descriptor layout is shared with Java");

/* Must match Native.CQE_* in Java. */
struct rr_cqe {
    uint64_t user_data;
    int32_t  res;
    uint32_t flags;
};
_Static_assert(sizeof(struct rr_cqe) == 16, "CQE copy layout is shared with Java");

/* Must match Native.STAT_* in Java. */
enum { STAT_CONSUMED, STAT_ENTERS, STAT_OVERFLOW_FLUSHES, STAT_BUSY, STAT_MORE_READY, STAT_SQ_FULL, STAT_INLINE, STAT_COUNT };

#define RING(p) ((struct io_uring *) (uintptr_t) (p))

JNIEXPORT jlong JNICALL Java_io_reactoruring_core_internal_Native_ringOpen(
        JNIEnv *env, jclass cls, jint sq_entries, jint cq_entries, jint flags, jint sq_idle_ms, jintArray out) {
    (void) cls;
    struct io_uring *ring = calloc(1, sizeof(*ring));
    if (!ring) return -ENOMEM;
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = (unsigned) flags | IORING_SETUP_CQSIZE;
    p.cq_entries = (unsigned) cq_entries;
    p.sq_thread_idle = (unsigned) sq_idle_ms;
    int ret = io_uring_queue_init_params((unsigned) sq_entries, ring, &p);
    if (ret < 0) {
        free(ring);
        return ret;
    }
    /* A registered ring fd spares the kernel an fdget/fdput on every io_uring_enter. */
    int registered = io_uring_register_ring_fd(ring) == 1;
    jint vals[6] = { (jint) p.flags, (jint) p.features, (jint) p.sq_entries, (jint) p.cq_entries,
                     ring->ring_fd, registered };
    (*env)->SetIntArrayRegion(env, out, 0, 6, vals);
    return (jlong) (uintptr_t) ring;
}

JNIEXPORT void JNICALL Java_io_reactoruring_core_internal_Native_ringClose(JNIEnv *env, jclass cls, jlong ring) {
    (void) env; (void) cls;
    io_uring_queue_exit(RING(ring));
    free(RING(ring));
}

static inline void prep(struct io_uring_sqe *sqe, const struct rr_desc *d) {
    /* io_uring_prep_rw is the helper every io_uring_prep_* builds on; Java has already computed
     * the opcode-specific union fields, so the C side stays free of per-opcode policy. */
    io_uring_prep_rw(d->opcode, sqe, d->fd, (const void *) (uintptr_t) d->addr, d->len, d->off);
    sqe->flags = d->sqe_flags;
    sqe->ioprio = d->ioprio;
    sqe->rw_flags = (__kernel_rwf_t) d->op_flags;
    sqe->buf_index = d->buf_index;
    sqe->personality = d->personality;
    sqe->file_index = (__u32) d->file_index;
    sqe->user_data = d->user_data;
}

static int copy_cqes(struct io_uring *ring, struct rr_cqe *out, int cap, jlong *stats) {
    int n = 0;
    if (cap == 0) {
        /* A submit-only call: leave the CQ (and any overflow) to the next call that copies. */
        stats[STAT_MORE_READY] = io_uring_cq_ready(ring) + (io_uring_cq_has_overflow(ring) ? 1 : 0);
        return 0;
    }
    for (;;) {
        unsigned head, seen = 0;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(ring, head, cqe) {
            if (n == cap) break;
            out[n].user_data = cqe->user_data;
            out[n].res = cqe->res;
            out[n].flags = cqe->flags;
            n++;
            seen++;
        }
        io_uring_cq_advance(ring, seen);
        if (!io_uring_cq_has_overflow(ring)) break;
        /* IORING_FEAT_NODROP kept the extra CQEs on the kernel's overflow list. Count it, and if
         * the caller has room, flush them into the now-free CQ and keep copying; otherwise the next
         * io_uring_enter flushes them. Nothing is lost, only delayed. */
        stats[STAT_OVERFLOW_FLUSHES]++;
        if (n == cap) break;
        stats[STAT_ENTERS]++;
        io_uring_get_events(ring);
    }
    stats[STAT_MORE_READY] = io_uring_cq_ready(ring) + (io_uring_cq_has_overflow(ring) ? 1 : 0);
    return n;
}

/* Longest submission whose inline completions count_inline looks for (a scan of new CQEs x SQEs). */
#define INLINE_SCAN_MAX 64

/*
 * How many of the CQEs that arrived in the CQ after its first `ready_before` entries belong to the
 * `n` SQEs just submitted from `d`: the ops that completed inside the submission (page-cached reads),
 * told apart by user_data from completions of older ops that the same call happened to post (task
 * work of device completions on a ring without DEFER_TASKRUN). user_data is unique per op in flight.
 */
static long count_inline(struct io_uring *ring, unsigned ready_before, const struct rr_desc *d, int n) {
    unsigned head, seen = 0;
    long found = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(ring, head, cqe) {
        if (seen++ < ready_before) continue;
        for (int k = 0; k < n; k++) {
            if (d[k].user_data == cqe->user_data) {
                found++;
                break;
            }
        }
    }
    return found;
}

/*
 * The one JNI crossing of a loop iteration: prep `count` descriptors, submit them, wait for
 * `wait_nr` completions (up to timeout_nanos; negative = no limit; wait_nr 0 = don't wait; wait_nr
 * negative = don't wait and don't run deferred task work either: a plain submit, which also counts in
 * stats[STAT_INLINE] the submitted ops that completed inside it) and copy
 * up to `cqe_cap` CQEs out. Returns the number of CQEs copied or -errno on a fatal ring error.
 * stats[STAT_CONSUMED] tells how many descriptors became SQEs (fewer than count only when the SQ
 * stayed full, e.g. -EBUSY or an SQPOLL thread that has not caught up yet).
 */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_enter(
        JNIEnv *env, jclass cls, jlong ringp, jlong desc_addr, jint count, jlong cqe_addr, jint cqe_cap,
        jint wait_nr, jlong timeout_nanos, jlong stats_addr) {
    (void) env; (void) cls;
    struct io_uring *ring = RING(ringp);
    const struct rr_desc *d = (const struct rr_desc *) (uintptr_t) desc_addr;
    struct rr_cqe *out = (struct rr_cqe *) (uintptr_t) cqe_addr;
    jlong *stats = (jlong *) (uintptr_t) stats_addr;
    int busy = 0, ret;
    memset(stats, 0, sizeof(jlong) * STAT_COUNT);

    unsigned ready_before = io_uring_cq_ready(ring);
    int consumed = 0;
    while (consumed < count) {
        /* A linked chain (an op and its link timeout, or a submitLinked chain) goes to the kernel in
         * one io_uring_enter: the kernel ends a link at the end of each submission, so a chain split
         * by a full SQ would run its tail on its own. Java keeps chains within sq_entries. */
        int run = 1;
        while (consumed + run < count && (d[consumed + run - 1].sqe_flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK))) {
            run++;
        }
        if (io_uring_sq_space_left(ring) < (unsigned) run) {
            /* SQ full: hand the kernel what we have and continue filling. */
            stats[STAT_SQ_FULL]++;
            stats[STAT_ENTERS]++;
            ret = io_uring_submit(ring);
            if (ret == -EBUSY || ret == -EAGAIN) { busy = 1; break; }
            if (ret < 0 && ret != -EINTR) return ret;
            if (io_uring_sq_space_left(ring) < (unsigned) run) break;
        }
        for (int k = 0; k < run; k++, consumed++) {
            prep(io_uring_get_sqe(ring), &d[consumed]);
        }
    }
    stats[STAT_CONSUMED] = consumed;

    if (!busy) {
        stats[STAT_ENTERS]++;
        if (wait_nr > 0 && io_uring_cq_ready(ring) == 0) {
            struct io_uring_cqe *cqe;
            if (timeout_nanos >= 0) {
                struct __kernel_timespec ts = { .tv_sec = timeout_nanos / 1000000000LL,
                                                .tv_nsec = timeout_nanos % 1000000000LL };
                ret = io_uring_submit_and_wait_timeout(ring, &cqe, (unsigned) wait_nr, &ts, NULL);
            } else {
                ret = io_uring_submit_and_wait(ring, (unsigned) wait_nr);
            }
        } else {
            if (wait_nr < 0) {
                /* Submit only: no GETEVENTS, so no deferred task work (DEFER_TASKRUN) runs here; the
                 * completions it would post wait for the next call that reaps. */
                ret = io_uring_submit(ring);
            } else {
                /* Also runs deferred task work (DEFER_TASKRUN) so ready completions get posted. */
                ret = io_uring_submit_and_get_events(ring);
            }
        }
        if (ret == -EBUSY || ret == -EAGAIN) busy = 1;
        else if (ret < 0 && ret != -ETIME && ret != -EINTR) return ret;
    }
    /* -EBUSY: the kernel wants its completions reaped before it takes more; the unsubmitted SQEs
     * stay in the ring and go with the next call. */
    stats[STAT_BUSY] = busy;
    if (wait_nr < 0 && consumed > 0 && consumed <= INLINE_SCAN_MAX) {
        stats[STAT_INLINE] = count_inline(ring, ready_before, d, consumed);
    }
    return copy_cqes(ring, out, cqe_cap, stats);
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_probe(JNIEnv *env, jclass cls, jlong ring, jbyteArray out) {
    (void) cls;
    struct io_uring_probe *probe = io_uring_get_probe_ring(RING(ring));
    if (!probe) return -ENOMEM;
    jsize cap = (*env)->GetArrayLength(env, out);
    jbyte *bytes = (*env)->GetByteArrayElements(env, out, NULL);
    int last = probe->last_op;
    for (int op = 0; op < cap; op++) {
        bytes[op] = (op <= last && io_uring_opcode_supported(probe, op)) ? 1 : 0;
    }
    (*env)->ReleaseByteArrayElements(env, out, bytes, 0);
    io_uring_free_probe(probe);
    return last;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_registerIowqMaxWorkers(
        JNIEnv *env, jclass cls, jlong ring, jint bounded, jint unbounded) {
    (void) env; (void) cls;
    unsigned vals[2] = { (unsigned) bounded, (unsigned) unbounded };
    return io_uring_register_iowq_max_workers(RING(ring), vals);
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_registerFilesSparse(JNIEnv *env, jclass cls, jlong ring, jint n) {
    (void) env; (void) cls;
    return io_uring_register_files_sparse(RING(ring), (unsigned) n);
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_registerFilesUpdate(
        JNIEnv *env, jclass cls, jlong ring, jint off, jintArray fds) {
    (void) cls;
    jsize n = (*env)->GetArrayLength(env, fds);
    jint *vals = (*env)->GetIntArrayElements(env, fds, NULL);
    int ret = io_uring_register_files_update(RING(ring), (unsigned) off, (const int *) vals, (unsigned) n);
    (*env)->ReleaseIntArrayElements(env, fds, vals, JNI_ABORT);
    return ret;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_registerBuffers(
        JNIEnv *env, jclass cls, jlong ring, jlong iovecs, jint n) {
    (void) env; (void) cls;
    return io_uring_register_buffers(RING(ring), (const struct iovec *) (uintptr_t) iovecs, (unsigned) n);
}

/* A sparse table of `n` fixed-buffer slots (kernel 5.19+); slots are filled by registerBufferUpdate. */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_registerBuffersSparse(JNIEnv *env, jclass cls, jlong ring, jint n) {
    (void) env; (void) cls;
    return io_uring_register_buffers_sparse(RING(ring), (unsigned) n);
}

/* Puts [addr, addr + len) into fixed-buffer slot `index` (addr 0, len 0 empties it); 1 or -errno.
 * The kernel pins the pages (charged to RLIMIT_MEMLOCK without CAP_IPC_LOCK) until the slot is
 * emptied or the ring closes; an op already using the old slot content keeps it until its CQE. */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_registerBufferUpdate(
        JNIEnv *env, jclass cls, jlong ring, jint index, jlong addr, jlong len) {
    (void) env; (void) cls;
    struct iovec iov = { (void *) (uintptr_t) addr, (size_t) len };
    __u64 tag = 0;
    return io_uring_register_buffers_update_tag(RING(ring), (unsigned) index, &iov, &tag, 1);
}

/* IORING_FILE_INDEX_ALLOC picks direct-descriptor slots only in [off, off + len) (kernel 6.0+). */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_registerFileAllocRange(
        JNIEnv *env, jclass cls, jlong ring, jint off, jint len) {
    (void) env; (void) cls;
    return io_uring_register_file_alloc_range(RING(ring), (unsigned) off, (unsigned) len);
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_unregisterBuffers(JNIEnv *env, jclass cls, jlong ring) {
    (void) env; (void) cls;
    return io_uring_unregister_buffers(RING(ring));
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_eventfd(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    int fd = eventfd(0, EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_eventfdWrite(JNIEnv *env, jclass cls, jint fd) {
    (void) env; (void) cls;
    uint64_t one = 1;
    return write(fd, &one, sizeof(one)) < 0 ? -errno : 0;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_close(JNIEnv *env, jclass cls, jint fd) {
    (void) env; (void) cls;
    return close(fd) < 0 ? -errno : 0;
}

/* One positional read or write on the calling thread (preadv2/pwritev2 with RWF_* flags, e.g.
 * RWF_NOWAIT): the AsynchronousFileChannel's pool threads use it to run a small op inline instead
 * of handing it to a loop and back. Returns the byte count or -errno. */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_preadv2(
        JNIEnv *env, jclass cls, jint fd, jlong addr, jint len, jlong off, jint flags) {
    (void) env; (void) cls;
    struct iovec iov = { .iov_base = (void *) (uintptr_t) addr, .iov_len = (size_t) len };
    ssize_t r = preadv2(fd, &iov, 1, (off_t) off, flags);
    return r < 0 ? -errno : (jint) r;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_pwritev2(
        JNIEnv *env, jclass cls, jint fd, jlong addr, jint len, jlong off, jint flags) {
    (void) env; (void) cls;
    struct iovec iov = { .iov_base = (void *) (uintptr_t) addr, .iov_len = (size_t) len };
    ssize_t r = pwritev2(fd, &iov, 1, (off_t) off, flags);
    return r < 0 ? -errno : (jint) r;
}

JNIEXPORT jlong JNICALL Java_io_reactoruring_core_internal_Native_allocate(JNIEnv *env, jclass cls, jlong size, jlong alignment) {
    (void) env; (void) cls;
    void *p = NULL;
    if (posix_memalign(&p, (size_t) alignment, (size_t) size) != 0) return 0;
    memset(p, 0, (size_t) size);
    return (jlong) (uintptr_t) p;
}

JNIEXPORT jlong JNICALL Java_io_reactoruring_core_internal_Native_allocateUninitialized(JNIEnv *env, jclass cls, jlong size, jlong alignment) {
    (void) env; (void) cls;
    void *p = NULL;
    if (posix_memalign(&p, (size_t) alignment, (size_t) size) != 0) return 0;
    return (jlong) (uintptr_t) p;
}

JNIEXPORT void JNICALL Java_io_reactoruring_core_internal_Native_free(JNIEnv *env, jclass cls, jlong address) {
    (void) env; (void) cls;
    free((void *) (uintptr_t) address);
}

JNIEXPORT jobject JNICALL Java_io_reactoruring_core_internal_Native_wrap(JNIEnv *env, jclass cls, jlong address, jint size) {
    (void) cls;
    return (*env)->NewDirectByteBuffer(env, (void *) (uintptr_t) address, size);
}

JNIEXPORT jlong JNICALL Java_io_reactoruring_core_internal_Native_addressOf(JNIEnv *env, jclass cls, jobject buffer) {
    (void) cls;
    return (jlong) (uintptr_t) (*env)->GetDirectBufferAddress(env, buffer);
}

JNIEXPORT jlong JNICALL Java_io_reactoruring_core_internal_Native_memlockLimit(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return -errno;
    return rl.rlim_cur == RLIM_INFINITY ? -1 : (jlong) rl.rlim_cur;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_setFileSizeLimit(JNIEnv *env, jclass cls, jlong bytes) {
    (void) env; (void) cls;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0) return -errno;
    rl.rlim_cur = bytes < 0 ? rl.rlim_max : (rlim_t) bytes;
    return setrlimit(RLIMIT_FSIZE, &rl) != 0 ? -errno : 0;
}

/* Socket set-up syscalls that have no io_uring opcode on every supported kernel
 * (IORING_OP_BIND/LISTEN need 6.11). Used by reactor-uring-net. */
#include <sys/socket.h>

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_socket(JNIEnv *env, jclass cls, jint domain, jint type, jint protocol) {
    (void) env; (void) cls;
    int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
    return fd < 0 ? -errno : fd;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_bind(JNIEnv *env, jclass cls, jint fd, jlong addr, jint len) {
    (void) env; (void) cls;
    return bind(fd, (const struct sockaddr *) (uintptr_t) addr, (socklen_t) len) < 0 ? -errno : 0;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_listen(JNIEnv *env, jclass cls, jint fd, jint backlog) {
    (void) env; (void) cls;
    return listen(fd, backlog) < 0 ? -errno : 0;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_setsockoptInt(JNIEnv *env, jclass cls, jint fd, jint level, jint opt, jint value) {
    (void) env; (void) cls;
    return setsockopt(fd, level, opt, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* Writes the local address into addr (capacity *len); returns the address length or -errno. */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_getsockname(JNIEnv *env, jclass cls, jint fd, jlong addr, jint cap) {
    (void) env; (void) cls;
    socklen_t len = (socklen_t) cap;
    return getsockname(fd, (struct sockaddr *) (uintptr_t) addr, &len) < 0 ? -errno : (jint) len;
}

/* Provided-buffer rings (kernel 5.19+). Java allocates the page-aligned ring memory, fills it and
 * advances the tail itself; the kernel only needs to be told where the ring is. flags are the
 * IOU_PBUF_RING_* registration flags (IOU_PBUF_RING_INC = 2, Linux 6.12+: incremental consumption);
 * kernels that do not know a flag answer -EINVAL. */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_registerBufRing(
        JNIEnv *env, jclass cls, jlong ring, jlong ring_addr, jint entries, jint bgid, jint flags) {
    (void) env; (void) cls;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (__u64) ring_addr;
    reg.ring_entries = (__u32) entries;
    reg.bgid = (__u16) bgid;
    /* The u16 after bgid: "pad" in liburing 2.3's headers, "flags" in newer ones. Written by offset so
     * that both compile. */
    __u16 f = (__u16) flags;
    memcpy((char *) &reg + offsetof(struct io_uring_buf_reg, bgid) + sizeof(reg.bgid), &f, sizeof(f));
    return io_uring_register_buf_ring(RING(ring), &reg, 0);
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_unregisterBufRing(JNIEnv *env, jclass cls, jlong ring, jint bgid) {
    (void) env; (void) cls;
    return io_uring_unregister_buf_ring(RING(ring), bgid);
}

/* pipe2(2) for IORING_OP_SPLICE; fds[0] is the read end, fds[1] the write end. */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_pipe2(JNIEnv *env, jclass cls, jintArray fds, jint flags) {
    (void) cls;
    int p[2];
    if (pipe2(p, flags) < 0) return -errno;
    jint vals[2] = { p[0], p[1] };
    (*env)->SetIntArrayRegion(env, fds, 0, 2, vals);
    return 0;
}

/* fcntl(F_SETPIPE_SZ): the pipe's capacity becomes at least `bytes`; the new capacity or -errno. */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_setPipeSize(JNIEnv *env, jclass cls, jint fd, jint bytes) {
    (void) env; (void) cls;
    int res = fcntl(fd, F_SETPIPE_SZ, bytes);
    return res < 0 ? -errno : res;
}

JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_getsockoptInt(JNIEnv *env, jclass cls, jint fd, jint level, jint opt) {
    (void) env; (void) cls;
    int value = 0;
    socklen_t len = sizeof(value);
    return getsockopt(fd, level, opt, &value, &len) < 0 ? -errno : value;
}

/*
 * The availability probe: exercises each io_uring syscall the library relies on, on a tiny ring of
 * its own, so that a seccomp profile allowing io_uring_setup but refusing io_uring_enter or
 * io_uring_register (some container profiles do) is seen before any loop is created. Returns the
 * stage that failed (PROBE_* in Native.java: 0 none, 1 setup, 2 enter, 3 register) with the errno in
 * out[0]; out[1] gets the ring's features. The register stage registers one page as a fixed buffer:
 * like the library's registered and provided buffers, it is charged to RLIMIT_MEMLOCK.
 */
JNIEXPORT jint JNICALL Java_io_reactoruring_core_internal_Native_probeSyscalls(JNIEnv *env, jclass cls, jintArray out) {
    (void) cls;
    struct io_uring ring;
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    jint vals[2] = { 0, 0 };
    jint stage = 0;
    int ret = io_uring_queue_init_params(4, &ring, &p);
    if (ret < 0) {
        vals[0] = -ret;
        stage = 1;
    } else {
        vals[1] = (jint) p.features;
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        io_uring_prep_nop(sqe);
        ret = io_uring_submit_and_wait(&ring, 1);
        if (ret < 0) {
            vals[0] = -ret;
            stage = 2;
        } else {
            struct io_uring_cqe *cqe;
            if (io_uring_peek_cqe(&ring, &cqe) == 0) io_uring_cqe_seen(&ring, cqe);
            void *page = NULL;
            if (posix_memalign(&page, 4096, 4096) != 0) {
                vals[0] = ENOMEM;
                stage = 3;
            } else {
                struct iovec iov = { page, 4096 };
                ret = io_uring_register_buffers(&ring, &iov, 1);
                if (ret < 0) {
                    vals[0] = -ret;
                    stage = 3;
                } else {
                    io_uring_unregister_buffers(&ring);
                }
                free(page);
            }
        }
        io_uring_queue_exit(&ring);
    }
    (*env)->SetIntArrayRegion(env, out, 0, 2, vals);
    return stage;
}

/* The version this library was built for (-DRR_VERSION), checked by NativeLibrary after loading. */
JNIEXPORT jstring JNICALL Java_io_reactoruring_core_internal_Native_libraryVersion(JNIEnv *env, jclass cls) {
    (void) cls;
#ifdef RR_VERSION
    return (*env)->NewStringUTF(env, RR_VERSION);
#else
    return (*env)->NewStringUTF(env, "unknown");
#endif
}
