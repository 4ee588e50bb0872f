package io.raftkv.storage;

import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.MembershipCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * The snapshot directory of the RocksDB store: {@code <data_path>/raftkv-snapshots/}.
 * RocksDB never creates subdirectories in its own directory and ignores names it cannot parse,
 * so this folder cannot collide with its files, and a node keeps one directory for everything.
 *
 * <pre>
 *   raftkv-snapshots/
 *     LATEST        which snapshot is current, with its metadata and a CRC (the commit point)
 *     snap-N/       a RocksDB checkpoint holding the meta and live kv column families
 *     tmp-N/        a checkpoint being made; removed at open if a crash left it behind
 * </pre>
 *
 * <p>Making a snapshot: checkpoint into {@code tmp-N} (SST files are hard links, so this is cheap
 * and shares disk space with the live database), drop the log and any staging column family
 * from the copy, rename it to {@code snap-N}, then write {@code LATEST.tmp}, fsync it and rename
 * it over {@code LATEST}. A crash before that last rename leaves the old {@code LATEST} naming
 * the old, untouched directory; after it, the new one. Directories that {@code LATEST} does not
 * name are garbage and are deleted at open. A directory is never renamed over another, because
 * POSIX cannot rename over a non-empty directory; the small file is what flips atomically.
 *
 * <p>Readers: a replaced snapshot stays on disk while a {@link SnapshotSource} still reads it
 * (reference counts below), and is deleted when the last one closes. This keeps a stream going
 * without copying anything; the price is that a slow reader holds the old files' disk space.
 */
final class RocksSnapshots {
  static final String DIR_NAME = "raftkv-snapshots";
  private static final String LATEST = "LATEST";
  private static final String LATEST_TMP = "LATEST.tmp";
  private static final int MAGIC = 0x52534e50; // "RSNP"
  private static final int FORMAT = 1;

  /** The current snapshot: the directory holding it and what it contains. */
  record Entry(String dirName, SnapshotMeta meta) {}

  private final Path root;
  private long nextSeq;
  private volatile Entry latest;
  // Guarded by this: open readers per directory, and replaced directories awaiting deletion.
  private final Map<String, Integer> readers = new HashMap<>();
  private final Set<String> retired = new HashSet<>();

  private RocksSnapshots(Path root, Entry latest, long nextSeq) {
    this.root = root;
    this.latest = latest;
    this.nextSeq = nextSeq;
  }

  /** Opens the snapshot directory under {@code dataDir}, deleting what a crash left behind. */
  static RocksSnapshots open(Path dataDir) {
    Path root = dataDir.resolve(DIR_NAME);
    try {
      Files.createDirectories(root);
      Files.deleteIfExists(root.resolve(LATEST_TMP));
      Entry latest = Files.exists(root.resolve(LATEST)) ? readLatest(root.resolve(LATEST)) : null;
      long maxSeq = 0;
      try (DirectoryStream<Path> children = Files.newDirectoryStream(root)) {
        for (Path child : children) {
          String name = child.getFileName().toString();
          if (name.equals(LATEST)) continue;
          maxSeq = Math.max(maxSeq, seqOf(name));
          if (latest == null || !name.equals(latest.dirName())) deleteTree(child);
        }
      }
      if (latest != null && !Files.isDirectory(root.resolve(latest.dirName()))) {
        throw new StorageException("snapshot " + latest.dirName() + " named by " + root.resolve(LATEST) + " is missing");
      }
      return new RocksSnapshots(root, latest, maxSeq + 1);
    } catch (IOException e) {
      throw new StorageException("cannot open the snapshot directory " + root, e);
    }
  }

  Path root() {
    return root;
  }

  Optional<SnapshotMeta> latest() {
    Entry e = latest;
    return e == null ? Optional.empty() : Optional.of(e.meta());
  }

  /**
   * Checkpoints {@code db} as the new latest snapshot; its content must be exactly the applied
   * state at {@code index}. {@code kvCfName} names the live key-value column family, the only
   * one besides meta that the snapshot keeps. Called on the storage thread only.
   */
  SnapshotMeta create(RocksDB db, String kvCfName, long index, long term, Membership membership, long nowMillis) {
    long seq = nextSeq++;
    Path tmp = root.resolve("tmp-" + seq);
    Path dir = root.resolve("snap-" + seq);
    Entry next;
    try {
      deleteTree(tmp);
      try (Checkpoint checkpoint = Checkpoint.create(db)) {
        checkpoint.createCheckpoint(tmp.toString());
      }
      prune(tmp, kvCfName);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(root);
      next = new Entry(dir.getFileName().toString(), new SnapshotMeta(index, term, membership, treeSize(dir), nowMillis));
      writeLatestTmp(next);
    } catch (IOException | RocksDBException | UncheckedIOException e) {
      // LATEST still names the old snapshot, which is intact; only the partial copy goes.
      try {
        deleteTree(tmp);
        deleteTree(dir);
      } catch (IOException ignored) {
        // Left for the clean-up at the next open.
      }
      throw new StorageException("cannot create a snapshot at index " + index + " in " + root, e);
    }
    try {
      // The commit point: from this rename on, the new snapshot is the one a restart finds.
      Files.move(root.resolve(LATEST_TMP), root.resolve(LATEST), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new StorageException("cannot publish snapshot " + dir, e);
    }
    Entry previous = latest;
    latest = next;
    try {
      // The rename must be durable before the old snapshot may go, or a crash could find neither.
      fsyncDirectory(root);
      if (previous != null) retire(previous.dirName());
    } catch (IOException e) {
      throw new StorageException("cannot sync the snapshot directory " + root, e);
    }
    return next.meta();
  }

  /** Opens the latest snapshot for reading; it stays on disk until the source is closed. */
  SnapshotSource openLatest() {
    Entry e;
    synchronized (this) {
      e = latest;
      if (e == null) throw new IllegalStateException("there is no snapshot to open");
      readers.merge(e.dirName(), 1, Integer::sum);
    }
    try {
      return new RocksSnapshotSource(e.meta(), e.dirName(), root.resolve(e.dirName()), () -> release(e.dirName()));
    } catch (RuntimeException ex) {
      release(e.dirName());
      throw ex;
    }
  }

  private synchronized void retire(String dirName) throws IOException {
    if (readers.getOrDefault(dirName, 0) > 0) {
      retired.add(dirName);
    } else {
      deleteTree(root.resolve(dirName));
    }
  }

  private synchronized void release(String dirName) {
    int left = readers.merge(dirName, -1, Integer::sum);
    if (left > 0) return;
    readers.remove(dirName);
    if (retired.remove(dirName)) {
      try {
        deleteTree(root.resolve(dirName));
      } catch (IOException ignored) {
        // Not named by LATEST, so the next open deletes it.
      }
    }
  }

  /**
   * Drops every column family except default, meta and the live kv from the checkpoint. The log
   * in particular would otherwise pin, through its hard links, the very files a log purge is
   * meant to free. Auto compaction stays off so the kept files remain links shared with the
   * live database rather than rewritten copies.
   */
  private static void prune(Path checkpoint, String kvCfName) throws RocksDBException {
    List<byte[]> names;
    try (Options options = new Options()) {
      names = RocksDB.listColumnFamilies(options, checkpoint.toString());
    }
    try (DBOptions dbOptions = new DBOptions();
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions().setDisableAutoCompactions(true)) {
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (byte[] n : names) descriptors.add(new ColumnFamilyDescriptor(n, cfOptions));
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB copy = RocksDB.open(dbOptions, checkpoint.toString(), descriptors, handles)) {
        try {
          for (int i = 0; i < names.size(); i++) {
            String name = new String(names.get(i), StandardCharsets.UTF_8);
            boolean keep =
                name.equals(RocksLayout.CF_DEFAULT)
                    || name.equals(RocksLayout.CF_META)
                    || name.equals(kvCfName);
            if (!keep) copy.dropColumnFamily(handles.get(i));
          }
          copy.syncWal();
        } finally {
          for (ColumnFamilyHandle h : handles) h.close();
        }
      }
    }
  }

  /** Writes and fsyncs {@code LATEST.tmp}; its content must be on disk before it is renamed. */
  private void writeLatestTmp(Entry e) throws IOException {
    byte[] membership = MembershipCodec.encode(e.meta().membership());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(MAGIC);
    out.writeInt(FORMAT);
    out.writeUTF(e.dirName());
    out.writeLong(e.meta().index());
    out.writeLong(e.meta().term());
    out.writeLong(e.meta().sizeBytes());
    out.writeLong(e.meta().createdAtMillis());
    out.writeInt(membership.length);
    out.write(membership);
    out.flush();
    CRC32 crc = new CRC32();
    crc.update(bytes.toByteArray());
    out.writeLong(crc.getValue());
    out.flush();

    Path tmp = root.resolve(LATEST_TMP);
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes.toByteArray());
      while (buf.hasRemaining()) ch.write(buf);
      ch.force(true);
    }
  }

  private static Entry readLatest(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    if (all.length < 8) throw new StorageException("corrupt snapshot pointer " + file);
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 8);
    if (crc.getValue() != ByteBuffer.wrap(all, all.length - 8, 8).getLong()) {
      throw new StorageException("snapshot pointer " + file + " fails its checksum");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, 0, all.length - 8))) {
      if (in.readInt() != MAGIC || in.readInt() != FORMAT) {
        throw new StorageException("snapshot pointer " + file + " has an unknown format");
      }
      String dirName = in.readUTF();
      long index = in.readLong();
      long term = in.readLong();
      long size = in.readLong();
      long created = in.readLong();
      byte[] membership = new byte[in.readInt()];
      in.readFully(membership);
      return new Entry(dirName, new SnapshotMeta(index, term, MembershipCodec.decode(membership), size, created));
    }
  }

  private static long seqOf(String name) {
    int dash = name.lastIndexOf('-');
    if (dash < 0) return 0;
    try {
      return Long.parseLong(name.substring(dash + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  static void deleteTree(Path path) throws IOException {
    if (!Files.exists(path)) return;
    Files.walkFileTree(
        path,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Bytes of the files under {@code path}, each inode once, so hard links are not counted twice. */
  static long treeSize(Path path) {
    long[] total = new long[1];
    Set<Object> seen = new HashSet<>();
    try {
      Files.walkFileTree(
          path,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              Object key = attrs.fileKey();
              if (key == null || seen.add(key)) total[0] += attrs.size();
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
              // RocksDB deletes obsolete files concurrently; a vanished file simply uses no space.
              if (exc instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
              throw new UncheckedIOException(exc);
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return total[0];
  }
}
