package dev.tideline.training;

import java.util.Collection;
import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.Priority;

/**
 * The job's RocksDB state compacts at the lowest CPU priority (nice 19): its compactions run on CPU
 * time nothing else wants. Each incremental checkpoint flushes the label join's memtables into new
 * files, and every few checkpoints a compaction merges them, taking 40 to 60% of a core for several
 * seconds. Where the job shares cores with the pipeline's stages (the embedded stack, a laptop, a
 * small node), that burst used to be the slowest seconds of {@code bench e2e}: the stages got less
 * of the cores than they needed while it ran (README, Latency). Flushes keep their priority, so a
 * checkpoint does not wait on a starved thread; a compaction that waits lets files pile up at level
 * 0, which RocksDB slows writes for only at 20 of them.
 */
public final class LowPriorityCompaction implements RocksDBOptionsFactory {

    private static final long serialVersionUID = 1L;

    @Override
    public DBOptions createDBOptions(
            DBOptions currentOptions, Collection<AutoCloseable> handlesToClose) {
        // The thread pools are the process's, shared by every RocksDB instance of the job: lowering
        // them again for the next instance changes nothing.
        Env env = currentOptions.getEnv() != null ? currentOptions.getEnv() : Env.getDefault();
        env.lowerThreadPoolCPUPriority(Priority.LOW);
        return currentOptions;
    }

    @Override
    public ColumnFamilyOptions createColumnOptions(
            ColumnFamilyOptions currentOptions, Collection<AutoCloseable> handlesToClose) {
        return currentOptions;
    }
}
