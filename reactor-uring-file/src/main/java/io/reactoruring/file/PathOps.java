package io.reactoruring.file;

import java.nio.file.Path;
import reactor.core.publisher.Mono;

/**
 * Opening files and path operations on one back end: io_uring on a loop ({@link UringPathOps}) or
 * NIO on a blocking scheduler ({@link NioPathOps}). {@link UringFiles} validates arguments at call
 * time and picks the back end; both must give the same results and exception types.
 */
interface PathOps {
    Mono<UringFile> open(Path path, OpenSpec spec);

    /** unlinkat; {@code directory} = AT_REMOVEDIR. */
    Mono<Void> delete(Path path, boolean directory);

    Mono<Void> createDirectory(Path path);

    Mono<Void> move(Path source, Path target);

    Mono<FileStat> stat(Path path);

    Mono<Void> createSymbolicLink(Path link, Path target);

    Mono<Void> createLink(Path link, Path existing);
}
