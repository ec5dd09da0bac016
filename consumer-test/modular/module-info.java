// The smoke program compiled and run as a named module on the module path (scripts/consumer-test.sh):
// the library's module descriptors must let a modular application use the public API, with the
// JNI library loaded under --enable-native-access=io.reactoruring.core.
module consumer {
    requires io.reactoruring.file;
    requires io.reactoruring.net;
}
