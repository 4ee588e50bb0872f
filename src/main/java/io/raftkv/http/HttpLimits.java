package io.raftkv.http;

/**
 * Size limits the HTTP edge enforces before anything reaches the log. They exist so that one
 * client cannot make every node of the cluster store (and replicate, and fsync) an arbitrarily
 * large entry. Keys and values are measured in UTF-8 bytes, because that is what is stored and
 * replicated; a limit in characters would let a key of 4-byte code points be four times larger.
 */
public record HttpLimits(long maxBodyBytes, int maxKeyBytes, int maxValueBytes) {
  /** Generous defaults for a small store: 1 MiB bodies, 1 KiB keys, 512 KiB values. */
  public static final HttpLimits DEFAULTS = new HttpLimits(1024 * 1024, 1024, 512 * 1024);

  public HttpLimits {
    if (maxBodyBytes <= 0) throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
    if (maxKeyBytes <= 0) throw new IllegalArgumentException("maxKeyBytes must be positive, got " + maxKeyBytes);
    if (maxValueBytes <= 0) throw new IllegalArgumentException("maxValueBytes must be positive, got " + maxValueBytes);
  }
}
