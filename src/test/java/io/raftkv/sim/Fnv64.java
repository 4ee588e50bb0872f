package io.raftkv.sim;

/**
 * A running 64-bit FNV-1a hash. The simulator folds every processed event into one, so two runs of
 * the same seed can be compared with a single number: any divergence in scheduling, randomness or
 * message content changes it.
 */
final class Fnv64 {
  private static final long OFFSET_BASIS = 0xcbf29ce484222325L;
  private static final long PRIME = 0x100000001b3L;

  private long hash = OFFSET_BASIS;

  Fnv64 add(long value) {
    for (int i = 0; i < 8; i++) {
      hash ^= (value >>> (8 * i)) & 0xff;
      hash *= PRIME;
    }
    return this;
  }

  Fnv64 add(String s) {
    if (s == null) return add(-1);
    add(s.length());
    for (int i = 0; i < s.length(); i++) add(s.charAt(i));
    return this;
  }

  Fnv64 add(byte[] bytes) {
    add(bytes.length);
    for (byte b : bytes) {
      hash ^= b & 0xff;
      hash *= PRIME;
    }
    return this;
  }

  long value() {
    return hash;
  }
}
