package io.raftkv.transport;

import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Refuses gRPC messages above a size on the server side. A gRPC message travels as a 5-byte
 * prefix (a compression flag and a 4-byte length) and then that many bytes; Pekko gRPC's decoder
 * buffers a whole message before decoding it, and Pekko HTTP does not apply its content-length
 * limit to HTTP/2 requests, so without this a peer announcing a 4 GiB message would have the
 * node buffer until it ran out of memory. The check reads only the prefixes as the bytes stream
 * by, and fails the request's stream at the first prefix over the limit, before its bytes come.
 */
final class GrpcMessageLimit {
  private static final int PREFIX_BYTES = 5;

  private GrpcMessageLimit() {}

  /** Passes the bytes of a gRPC request through unchanged, failing at a message over {@code maxBytes}. */
  static Flow<ByteString, ByteString, NotUsed> flow(long maxBytes) {
    return Flow.of(ByteString.class).statefulMap(
        () -> new Scanner(maxBytes),
        (scanner, bytes) -> {
          scanner.scan(bytes);
          return Pair.create(scanner, bytes);
        },
        scanner -> Optional.empty());
  }

  /** Where the stream stands: inside a prefix (how much of it is read) or inside a message. */
  static final class Scanner {
    private final long maxBytes;
    private final byte[] prefix = new byte[PREFIX_BYTES];
    private int prefixRead;
    private long messageLeft;

    Scanner(long maxBytes) {
      this.maxBytes = maxBytes;
    }

    void scan(ByteString bytes) {
      int i = 0;
      int n = bytes.size();
      while (i < n) {
        if (messageLeft > 0) {
          int skip = (int) Math.min(messageLeft, n - i);
          messageLeft -= skip;
          i += skip;
          continue;
        }
        prefix[prefixRead++] = bytes.apply(i++);
        if (prefixRead == PREFIX_BYTES) {
          prefixRead = 0;
          long length = ((prefix[1] & 0xffL) << 24) | ((prefix[2] & 0xffL) << 16) | ((prefix[3] & 0xffL) << 8)
              | (prefix[4] & 0xffL);
          if (length > maxBytes) {
            throw new IllegalArgumentException(
                "a peer sent a " + length + "-byte message; the limit is " + maxBytes + " bytes");
          }
          messageLeft = length;
        }
      }
    }
  }
}
