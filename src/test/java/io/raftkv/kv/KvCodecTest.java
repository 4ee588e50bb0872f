package io.raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Round trips and corruption handling of the command (log) and result (forward) encodings. */
class KvCodecTest {
  static List<KvCommand> everyCommand() {
    List<Condition> allTests = List.of(
        new Condition("a", Condition.Compare.EXISTS, null),
        new Condition("b", Condition.Compare.NOT_EXISTS, null),
        new Condition("c", Condition.Compare.EQUAL, ""),
        new Condition("d", Condition.Compare.NOT_EQUAL, "x"),
        new Condition("e", Condition.Compare.GREATER, "5"),
        new Condition("f", Condition.Compare.LESS, "5"),
        new Condition("g", Condition.Compare.GREATER_EQUAL, "5"),
        new Condition("h", Condition.Compare.LESS_EQUAL, "ü€😀"));
    return List.of(
        new KvCommand.Set("k", "v"),
        new KvCommand.Set("", ""),
        new KvCommand.Delete("k"),
        new KvCommand.Batch(List.of(new KvCommand.Set("a", "1"), new KvCommand.Delete("a"))),
        new KvCommand.Txn(allTests, List.of(new KvCommand.Set("x", "1")), List.of(new KvCommand.Delete("y")), true),
        new KvCommand.Txn(List.of(), List.of(), List.of(), false),
        new KvCommand.GetSet("ключ", "значение"));
  }

  @Test
  void everyCommandRoundTrips() {
    for (KvCommand c : everyCommand()) {
      assertEquals(c, KvCommandCodec.decode(KvCommandCodec.encode(c)), c.toString());
    }
  }

  @Test
  void setAndDeleteKeepTheirOriginalEncoding() {
    // Entries already in a log were written with tag 1 and 2 and length-prefixed UTF-8.
    byte[] set = ByteBuffer.allocate(1 + 4 + 1 + 4 + 2).put((byte) 1).putInt(1).put((byte) 'k')
        .putInt(2).put((byte) 'v').put((byte) 'w').array();
    assertArrayEquals(set, KvCommandCodec.encode(new KvCommand.Set("k", "vw")));
    byte[] delete = ByteBuffer.allocate(1 + 4 + 1).put((byte) 2).putInt(1).put((byte) 'k').array();
    assertArrayEquals(delete, KvCommandCodec.encode(new KvCommand.Delete("k")));
  }

  @Test
  void corruptCommandsAreRefused() {
    byte[] txn = KvCommandCodec.encode(everyCommand().get(4));
    // Every strict prefix of a valid encoding is truncated, so it must be refused, not half-read.
    for (int n = 0; n < txn.length; n++) {
      byte[] cut = Arrays.copyOf(txn, n);
      assertThrows(IllegalArgumentException.class, () -> KvCommandCodec.decode(cut), "length " + n);
    }
    byte[] trailing = Arrays.copyOf(txn, txn.length + 1);
    assertThrows(IllegalArgumentException.class, () -> KvCommandCodec.decode(trailing));
    assertThrows(IllegalArgumentException.class, () -> KvCommandCodec.decode(new byte[] {9}));
    // A huge count must be refused before anything is allocated for it.
    byte[] hugeBatch = ByteBuffer.allocate(5).put((byte) 3).putInt(Integer.MAX_VALUE).array();
    assertThrows(IllegalArgumentException.class, () -> KvCommandCodec.decode(hugeBatch));
    // An empty batch is never written, so reading one means the payload is wrong.
    byte[] emptyBatch = ByteBuffer.allocate(5).put((byte) 3).putInt(0).array();
    assertThrows(IllegalArgumentException.class, () -> KvCommandCodec.decode(emptyBatch));
  }

  static List<KvResult> everyResult() {
    return List.of(
        KvResult.NONE,
        new KvResult.Applied(null),
        new KvResult.Applied(""),
        new KvResult.Applied("old"),
        new KvResult.BatchApplied(1000),
        new KvResult.TxnApplied(true, null),
        new KvResult.TxnApplied(false, List.of()),
        new KvResult.TxnApplied(true, Arrays.asList(null, "", "v😀")),
        new KvResult.GetSetApplied(null),
        new KvResult.GetSetApplied("was"));
  }

  @Test
  void everyResultRoundTrips() {
    for (KvResult r : everyResult()) {
      assertEquals(r, KvResultCodec.decode(KvResultCodec.encode(r)), r.toString());
    }
  }

  @Test
  void corruptResultsAreRefused() {
    byte[] txn = KvResultCodec.encode(everyResult().get(7));
    for (int n = 0; n < txn.length; n++) {
      byte[] cut = Arrays.copyOf(txn, n);
      assertThrows(IllegalArgumentException.class, () -> KvResultCodec.decode(cut), "length " + n);
    }
    assertThrows(IllegalArgumentException.class, () -> KvResultCodec.decode(new byte[] {42}));
    assertThrows(IllegalArgumentException.class, () -> KvResultCodec.decode(new byte[] {1, 7}));
  }
}
