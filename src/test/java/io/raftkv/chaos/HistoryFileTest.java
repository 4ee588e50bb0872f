package io.raftkv.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.check.KvModel;
import io.raftkv.check.Operation;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryFileTest {
  @TempDir Path dir;

  @Test
  void aHistoryReadsBackAsItWasWritten() throws Exception {
    List<Operation<KvModel.Op, KvModel.Result>> ops = List.of(
        Operation.completed(1, new KvModel.Set("k", "a"), KvModel.OK, 0, 5),
        Operation.completed(2, new KvModel.Get("k"), new KvModel.Value("a"), 6, 7),
        Operation.completed(2, new KvModel.Get("j"), new KvModel.Value(null), 8, 9),
        Operation.completed(3, new KvModel.Cas("k", null, "b"), new KvModel.Swapped(false), 10, 12),
        Operation.unknown(4, new KvModel.Cas("k", "a", "c"), 13),
        Operation.unknown(5, new KvModel.Batch(List.of(new KvModel.Set("k", "d"), new KvModel.Delete("j"))), 14),
        Operation.completed(6, new KvModel.Delete("k"), new KvModel.Previous(null), 15, 16));
    Path file = dir.resolve("history.jsonl");
    HistoryFile.write(file, ops);
    assertEquals(ops, HistoryFile.read(file));
  }
}
