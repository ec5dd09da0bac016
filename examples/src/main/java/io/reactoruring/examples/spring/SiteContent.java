package io.reactoruring.examples.spring;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The example site: a directory holding {@code index.html} (from the class path) and
 * {@code tone.wav} (a generated two-second 440 Hz tone the page plays in an {@code <audio>}
 * element), created at startup where missing. Existing files are left alone.
 */
public final class SiteContent {
    static final String INDEX = "index.html";
    static final String TONE = "tone.wav";
    private final Path root;

    private SiteContent(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Creates {@code dir} and the missing site files; blocking, for startup only. */
    public static SiteContent prepare(Path dir) {
        Path root = directory(dir);
        try {
            if (Files.notExists(root.resolve(INDEX))) {
                try (InputStream in = SiteContent.class.getResourceAsStream(INDEX)) {
                    Files.copy(Objects.requireNonNull(in, "index.html resource"), root.resolve(INDEX));
                }
            }
            if (Files.notExists(root.resolve(TONE))) {
                Files.write(root.resolve(TONE), tone(2, 440));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new SiteContent(root);
    }

    static Path directory(Path dir) {
        try {
            return Files.createDirectories(dir.toAbsolutePath().normalize());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A 16-bit mono PCM WAV file at 8 kHz. */
    static byte[] tone(int seconds, double hertz) {
        int rate = 8000;
        int samples = seconds * rate;
        ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + samples * 2).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate).putInt(rate * 2)
                .putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes()).putInt(samples * 2);
        for (int i = 0; i < samples; i++) {
            b.putShort((short) (Math.sin(2 * Math.PI * hertz * i / rate) * 8000));
        }
        return b.array();
    }
}
