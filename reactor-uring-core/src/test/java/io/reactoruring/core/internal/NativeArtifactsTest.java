package io.reactoruring.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The core jar carries a JNI library for each supported Linux architecture, and each one really is
 * a 64-bit little-endian ELF shared object for that machine (a library built for the wrong target
 * would only fail on a user's machine). The cross-compiled one is required where the build was asked
 * for all architectures (REACTORURING_ALL_ARCHES=true, as in CI).
 */
class NativeArtifactsTest {
    private static final int EM_X86_64 = 62;
    private static final int EM_AARCH64 = 183;
    private static final int ET_DYN = 3;

    @ParameterizedTest
    @CsvSource({"linux-x86_64, 62", "linux-aarch64, 183"})
    void eachArchitectureHasItsOwnElfSharedObject(String platform, int machine) throws IOException {
        byte[] header = header("/META-INF/native/" + platform + "/" + NativeLibrary.fileName());
        boolean hostPlatform = platform.equals(NativeLibrary.platform());
        boolean required = hostPlatform || "true".equals(System.getenv("REACTORURING_ALL_ARCHES"));
        if (header == null) {
            assumeTrue(!required, platform + " library missing from the build output");
            return;
        }
        ByteBuffer elf = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new byte[] {header[0], header[1], header[2], header[3]})
                .as("ELF magic").containsExactly(0x7f, 'E', 'L', 'F');
        assertThat(header[4]).as("EI_CLASS: 64-bit").isEqualTo((byte) 2);
        assertThat(header[5]).as("EI_DATA: little-endian").isEqualTo((byte) 1);
        assertThat(elf.getShort(16) & 0xffff).as("e_type: shared object").isEqualTo(ET_DYN);
        assertThat(elf.getShort(18) & 0xffff).as("e_machine of " + platform).isEqualTo(machine);
        assertThat(machine).isIn(EM_X86_64, EM_AARCH64);
    }

    private static byte[] header(String resource) throws IOException {
        try (InputStream in = NativeArtifactsTest.class.getResourceAsStream(resource)) {
            return in == null ? null : in.readNBytes(64);
        }
    }
}
