package io.reactoruring.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.examples.http.ByteRange.Kind;
import org.junit.jupiter.api.Test;

class ByteRangeTest {

    @Test
    void singleRanges() {
        assertThat(ByteRange.of("bytes=0-99", 1000)).isEqualTo(new ByteRange(0, 100, Kind.PARTIAL));
        assertThat(ByteRange.of("bytes=990-", 1000)).isEqualTo(new ByteRange(990, 10, Kind.PARTIAL));
        assertThat(ByteRange.of("bytes=990-5000", 1000)).isEqualTo(new ByteRange(990, 10, Kind.PARTIAL));
        assertThat(ByteRange.of("bytes=-10", 1000)).isEqualTo(new ByteRange(990, 10, Kind.PARTIAL));
        assertThat(ByteRange.of("bytes=-5000", 1000)).isEqualTo(new ByteRange(0, 1000, Kind.PARTIAL));
        assertThat(ByteRange.of("Bytes=5-5", 1000)).isEqualTo(new ByteRange(5, 1, Kind.PARTIAL));
        assertThat(new ByteRange(0, 100, Kind.PARTIAL).contentRange(1000)).isEqualTo("bytes 0-99/1000");
    }

    @Test
    void unsatisfiable() {
        assertThat(ByteRange.of("bytes=1000-", 1000).kind()).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(ByteRange.of("bytes=-0", 1000).kind()).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(ByteRange.of("bytes=0-0", 0).kind()).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(ByteRange.of("bytes=-1", 0).kind()).isEqualTo(Kind.UNSATISFIABLE);
    }

    @Test
    void ignoredHeadersMeanTheWholeFile() {
        ByteRange whole = new ByteRange(0, 1000, Kind.WHOLE);
        assertThat(ByteRange.of(null, 1000)).isEqualTo(whole);
        assertThat(ByteRange.of("bytes=0-1,5-6", 1000)).as("multiple ranges").isEqualTo(whole);
        assertThat(ByteRange.of("items=0-1", 1000)).isEqualTo(whole);
        assertThat(ByteRange.of("bytes=9-3", 1000)).isEqualTo(whole);
        assertThat(ByteRange.of("bytes=a-3", 1000)).isEqualTo(whole);
        assertThat(ByteRange.of("bytes=-", 1000)).isEqualTo(whole);
        assertThat(ByteRange.of("bytes=5", 1000)).isEqualTo(whole);
        assertThat(ByteRange.of("bytes=99999999999999999999-", 1000)).isEqualTo(whole);
    }
}
