package io.raftkv.http;

/**
 * Size limits the HTTP edge enforces before anything reaches the log. They exist so that one
 * client cannot make every node of the cluster store (and replicate, and fsync) an arbitrarily
 * large entry. Keys and values are measured in UTF-8 bytes, because that is what is stored and
 * replicated; a limit in characters would let a key of 4-byte code points be four times larger.
 *
 * @param maxBatchOps most operations in one /batch_write
 * @param maxPrefixLimit most items one /prefix returns, and the number it returns when the
 *     request names no limit
 * @param maxTxnOps most operations in each list (conditions, if_then, else_then) of one /txn
 * @param maxResponseBytes most bytes of keys and values in one /prefix answer
 */
public record HttpLimits(
    long maxBodyBytes,
    int maxKeyBytes,
    int maxValueBytes,
    int maxBatchOps,
    int maxPrefixLimit,
    int maxTxnOps,
    long maxResponseBytes) {
  /** The defaults of application.conf's max_batch_ops, max_prefix_limit, max_txn_ops and max_response_bytes. */
  public static final int DEFAULT_MAX_BATCH_OPS = 1000;
  public static final int DEFAULT_MAX_PREFIX_LIMIT = 10_000;
  public static final int DEFAULT_MAX_TXN_OPS = 128;
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 4L * 1024 * 1024;

  public HttpLimits {
    if (maxBodyBytes <= 0) throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
    if (maxKeyBytes <= 0) throw new IllegalArgumentException("maxKeyBytes must be positive, got " + maxKeyBytes);
    if (maxValueBytes <= 0) throw new IllegalArgumentException("maxValueBytes must be positive, got " + maxValueBytes);
    if (maxBatchOps <= 0) throw new IllegalArgumentException("maxBatchOps must be positive, got " + maxBatchOps);
    if (maxPrefixLimit <= 0) {
      throw new IllegalArgumentException("maxPrefixLimit must be positive, got " + maxPrefixLimit);
    }
    if (maxTxnOps <= 0) throw new IllegalArgumentException("maxTxnOps must be positive, got " + maxTxnOps);
    if (maxResponseBytes <= 0) {
      throw new IllegalArgumentException("maxResponseBytes must be positive, got " + maxResponseBytes);
    }
  }

  /** The byte limits alone, with the default operation, prefix and response limits. */
  public HttpLimits(long maxBodyBytes, int maxKeyBytes, int maxValueBytes) {
    this(maxBodyBytes, maxKeyBytes, maxValueBytes, DEFAULT_MAX_BATCH_OPS, DEFAULT_MAX_PREFIX_LIMIT,
        DEFAULT_MAX_TXN_OPS, DEFAULT_MAX_RESPONSE_BYTES);
  }
}
