/**
 * reactor-uring's core: the io_uring loops ({@link io.reactoruring.core.UringLoop}), ops, completions
 * and native buffers.
 *
 * <p>{@code io.reactoruring.core.internal} holds the JNI entry points; it is exported only to the
 * sibling modules that build on it and is not API. A new package used by a sibling module must be
 * added here (qualified) or it will not compile against this module. On JDK 22+ loading the JNI
 * library is a restricted operation: run with {@code --enable-native-access=io.reactoruring.core}
 * on the module path ({@code ALL-UNNAMED} on the class path).
 */
module io.reactoruring.core {
    requires transitive reactor.core;
    requires transitive org.reactivestreams;
    requires static transitive org.jspecify;

    exports io.reactoruring.core;
    exports io.reactoruring.core.buffer;
    exports io.reactoruring.core.internal to io.reactoruring.file, io.reactoruring.net;
}
