package consumer;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.file.GroupCommit;
import io.reactoruring.file.RandomReads;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import reactor.core.publisher.Flux;

/** The variables README blocks use without declaring them (their "given:" comments name them). */
public final class ReadmeContext {
    public final UringLoop loop;
    public final Path path;
    public final Flux<RandomReads.Request> requests;
    public final UringFile log;
    public final List<GroupCommit.Write> writes = new ArrayList<>();

    private ReadmeContext(UringLoop loop, Path path, UringFile log) {
        this.loop = loop;
        this.requests = Flux.range(0, 256).map(i -> new RandomReads.Request(i * 4096L, 4096));
        this.path = path;
        this.log = log;
    }

    public static ReadmeContext create() throws Exception {
        Path dir = Files.createTempDirectory("readme-");
        dir.toFile().deleteOnExit();
        Path path = Files.write(dir.resolve("data.bin"), new byte[1 << 20]);
        Files.write(Path.of("big.bin"), new byte[1 << 20]); // README's first block reads it by name
        Path.of("big.bin").toFile().deleteOnExit();
        Path logPath = dir.resolve("log.bin");
        UringLoop loop = UringLoopGroup.shared().next();
        UringFile log = UringFiles.open(loop, logPath,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE)).block();
        ReadmeContext c = new ReadmeContext(loop, path, log);
        for (int i = 0; i < 256; i++) {
            c.writes.add(new GroupCommit.Write(i * 64L, ByteBuffer.allocateDirect(64)));
        }
        return c;
    }
}
