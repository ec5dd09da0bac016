package io.reactoruring.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MediaTypesTest {
    @Test
    void byExtensionCaseInsensitiveWithDefault() {
        assertThat(MediaTypes.forFileName("index.HTML")).isEqualTo("text/html; charset=utf-8");
        assertThat(MediaTypes.forFileName("a.tar.gz")).isEqualTo("application/gzip");
        assertThat(MediaTypes.forFileName("photo.jpeg")).isEqualTo("image/jpeg");
        assertThat(MediaTypes.forFileName("Makefile")).isEqualTo(MediaTypes.DEFAULT);
        assertThat(MediaTypes.forFileName("weird.")).isEqualTo(MediaTypes.DEFAULT);
        assertThat(MediaTypes.forFileName("x.unknownext")).isEqualTo(MediaTypes.DEFAULT);
    }
}
