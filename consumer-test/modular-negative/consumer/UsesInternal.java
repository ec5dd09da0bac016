package consumer;

// Must NOT compile on the module path: io.reactoruring.core.internal (the JNI entry points) is
// exported only to reactor-uring's own modules. scripts/consumer-test.sh checks that javac refuses it.
public final class UsesInternal {
    public static void main(String[] args) {
        System.out.println(io.reactoruring.core.internal.Native.class);
    }
}
