package io.raftkv.kv;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Compact binary encoding of {@link KvCommand}s for log entries: a one-byte tag, then the fields,
 * each string as a 4-byte length and its UTF-8 bytes (see {@link Wire}). JSON is used only at the
 * HTTP edge. Tags are part of the log format: existing ones never change meaning.
 *
 * <ul>
 *   <li>1 set: key, value
 *   <li>2 delete: key
 *   <li>3 batch: count, then each operation as a set or delete (tag and fields)
 *   <li>4 txn: condition count, each as code byte, key, optional value; if-then operations;
 *       else operations; return-previous byte
 *   <li>5 getset: key, value
 * </ul>
 */
public final class KvCommandCodec {
  private static final byte SET = 1;
  private static final byte DELETE = 2;
  private static final byte BATCH = 3;
  private static final byte TXN = 4;
  private static final byte GETSET = 5;

  // The smallest encodings, used to refuse counts the remaining bytes cannot hold.
  private static final int MIN_OP_BYTES = 1 + 4;
  private static final int MIN_CONDITION_BYTES = 1 + 4 + 1;

  private KvCommandCodec() {}

  public static byte[] encode(KvCommand command) {
    Wire.Out out = new Wire.Out();
    if (command instanceof KvCommand.Set || command instanceof KvCommand.Delete) {
      writeOp(out, (KvCommand.Op) command);
    } else if (command instanceof KvCommand.Batch b) {
      writeOps(out.tag(BATCH), b.ops());
    } else if (command instanceof KvCommand.Txn t) {
      out.tag(TXN).count(t.conditions().size());
      for (Condition c : t.conditions()) {
        out.tag(c.compare().code()).string(c.key()).optionalString(c.value());
      }
      writeOps(out, t.ifThen());
      writeOps(out, t.elseThen());
      out.bool(t.returnPrevious());
    } else if (command instanceof KvCommand.GetSet g) {
      out.tag(GETSET).string(g.key()).string(g.value());
    } else {
      throw new IllegalArgumentException("unknown command " + command);
    }
    return out.toByteArray();
  }

  public static KvCommand decode(byte[] data) {
    try {
      ByteBuffer in = ByteBuffer.wrap(data);
      byte tag = in.get();
      KvCommand command;
      switch (tag) {
        case SET:
        case DELETE:
          command = (KvCommand) readOpBody(tag, in);
          break;
        case BATCH:
          command = new KvCommand.Batch(readOps(in));
          break;
        case TXN:
          command = readTxn(in);
          break;
        case GETSET:
          command = new KvCommand.GetSet(Wire.readString(in), Wire.readString(in));
          break;
        default:
          throw new IllegalArgumentException("unknown command tag " + tag);
      }
      Wire.requireEnd(in, "command");
      return command;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("corrupt command payload: " + e.getMessage(), e);
    }
  }

  private static KvCommand.Txn readTxn(ByteBuffer in) {
    int n = Wire.readCount(in, MIN_CONDITION_BYTES);
    List<Condition> conditions = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Condition.Compare compare = Condition.Compare.ofCode(in.get());
      conditions.add(new Condition(Wire.readString(in), compare, Wire.readOptionalString(in)));
    }
    List<KvCommand.Op> ifThen = readOps(in);
    List<KvCommand.Op> elseThen = readOps(in);
    return new KvCommand.Txn(conditions, ifThen, elseThen, Wire.readBool(in));
  }

  private static void writeOps(Wire.Out out, List<KvCommand.Op> ops) {
    out.count(ops.size());
    for (KvCommand.Op op : ops) writeOp(out, op);
  }

  private static void writeOp(Wire.Out out, KvCommand.Op op) {
    if (op instanceof KvCommand.Set s) {
      out.tag(SET).string(s.key()).string(s.value());
    } else if (op instanceof KvCommand.Delete d) {
      out.tag(DELETE).string(d.key());
    } else {
      throw new IllegalArgumentException("unknown operation " + op);
    }
  }

  private static List<KvCommand.Op> readOps(ByteBuffer in) {
    int n = Wire.readCount(in, MIN_OP_BYTES);
    List<KvCommand.Op> ops = new ArrayList<>(n);
    for (int i = 0; i < n; i++) ops.add(readOpBody(in.get(), in));
    return ops;
  }

  private static KvCommand.Op readOpBody(byte tag, ByteBuffer in) {
    switch (tag) {
      case SET:
        return new KvCommand.Set(Wire.readString(in), Wire.readString(in));
      case DELETE:
        return new KvCommand.Delete(Wire.readString(in));
      default:
        throw new IllegalArgumentException("unknown operation tag " + tag);
    }
  }
}
