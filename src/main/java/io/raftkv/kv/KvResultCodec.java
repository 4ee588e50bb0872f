package io.raftkv.kv;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary encoding of {@link KvResult}s, so that whatever a command produced on the leader reaches
 * the follower that forwarded it unchanged. The transport carries these bytes opaquely, so a new
 * result kind needs a tag here and nothing in the proto.
 *
 * <ul>
 *   <li>0 none
 *   <li>1 applied (set, delete): optional previous value
 *   <li>2 batch: number of operations applied
 *   <li>3 txn: branch byte, then either 0 (no previous values asked) or 1, a count and one
 *       optional string per executed operation
 *   <li>4 getset: optional old value
 * </ul>
 */
public final class KvResultCodec {
  private static final byte NONE = 0;
  private static final byte APPLIED = 1;
  private static final byte BATCH = 2;
  private static final byte TXN = 3;
  private static final byte GETSET = 4;

  private KvResultCodec() {}

  public static byte[] encode(KvResult result) {
    Wire.Out out = new Wire.Out();
    if (result instanceof KvResult.None) {
      out.tag(NONE);
    } else if (result instanceof KvResult.Applied a) {
      out.tag(APPLIED).optionalString(a.previous());
    } else if (result instanceof KvResult.BatchApplied b) {
      out.tag(BATCH).count(b.opsApplied());
    } else if (result instanceof KvResult.TxnApplied t) {
      out.tag(TXN).bool(t.branch()).bool(t.previousValues() != null);
      if (t.previousValues() != null) {
        out.count(t.previousValues().size());
        for (String v : t.previousValues()) out.optionalString(v);
      }
    } else if (result instanceof KvResult.GetSetApplied g) {
      out.tag(GETSET).optionalString(g.oldValue());
    } else {
      // A KvResult added later must get its own tag, not silently become something else.
      throw new IllegalArgumentException("unknown kv result " + result);
    }
    return out.toByteArray();
  }

  public static KvResult decode(byte[] data) {
    try {
      ByteBuffer in = ByteBuffer.wrap(data);
      byte tag = in.get();
      KvResult result;
      switch (tag) {
        case NONE:
          result = KvResult.NONE;
          break;
        case APPLIED:
          result = new KvResult.Applied(Wire.readOptionalString(in));
          break;
        case BATCH:
          result = new KvResult.BatchApplied(in.getInt());
          break;
        case TXN:
          result = readTxn(in);
          break;
        case GETSET:
          result = new KvResult.GetSetApplied(Wire.readOptionalString(in));
          break;
        default:
          throw new IllegalArgumentException("unknown result tag " + tag);
      }
      Wire.requireEnd(in, "result");
      return result;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("corrupt result payload: " + e.getMessage(), e);
    }
  }

  private static KvResult.TxnApplied readTxn(ByteBuffer in) {
    boolean branch = Wire.readBool(in);
    if (!Wire.readBool(in)) return new KvResult.TxnApplied(branch, null);
    int n = Wire.readCount(in, 1);
    List<String> previous = new ArrayList<>(n);
    for (int i = 0; i < n; i++) previous.add(Wire.readOptionalString(in));
    return new KvResult.TxnApplied(branch, previous);
  }
}
