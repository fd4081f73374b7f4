package dev.tideline.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;

/** The job's RocksDB compactions run at nice 19, on Linux, where the job reads its threads. */
class LowPriorityCompactionTest {

    @Test
    void aCompactionRunsOnAThreadAtTheLowestCpuPriority(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux /proc");
        RocksDB.loadLibrary();
        LowPriorityCompaction factory = new LowPriorityCompaction();
        List<AutoCloseable> handles = new ArrayList<>();
        List<ColumnFamilyHandle> families = new ArrayList<>();
        try (DBOptions db =
                        factory.createDBOptions(
                                new DBOptions()
                                        .setCreateIfMissing(true)
                                        .setCreateMissingColumnFamilies(true),
                                handles);
                ColumnFamilyOptions columns =
                        factory.createColumnOptions(new ColumnFamilyOptions(), handles);
                RocksDB rocks =
                        RocksDB.open(
                                db,
                                dir.toString(),
                                List.of(
                                        new ColumnFamilyDescriptor(
                                                RocksDB.DEFAULT_COLUMN_FAMILY, columns)),
                                families);
                FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            // Two overlapping level-0 files: the compaction has to merge them.
            for (int file = 0; file < 2; file++) {
                for (int i = 0; i < 1_000; i++) {
                    rocks.put(
                            ("key-" + i).getBytes(StandardCharsets.UTF_8),
                            ("value-" + file + "-" + i).getBytes(StandardCharsets.UTF_8));
                }
                rocks.flush(flush);
            }
            rocks.compactRange();

            Map<String, Integer> compactionThreads = niceOfThreads("rocksdb:low");
            assertThat(compactionThreads).isNotEmpty();
            assertThat(compactionThreads).containsValue(19);
        } finally {
            families.forEach(ColumnFamilyHandle::close);
        }
    }

    /** This JVM's threads whose name starts with {@code prefix}, by thread id, with their nice. */
    private static Map<String, Integer> niceOfThreads(String prefix) throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.startsWith(prefix)) {
                    // Fields after the name: state is the 3rd of stat, nice the 19th.
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.put(task.getFileName().toString(), Integer.parseInt(fields[16]));
                }
            }
        }
        return out;
    }
}
