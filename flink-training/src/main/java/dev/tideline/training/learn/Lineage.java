package dev.tideline.training.learn;

import org.apache.flink.api.common.functions.RuntimeContext;

/**
 * Which run of the training job a global model comes from: the job's id and the task's execution
 * attempt. Global models travel to the learners through {@code training.sync.v1}, outside Flink's
 * checkpoints, so after a restore the topic still holds globals that the crashed attempt wrote
 * after the checkpoint, with versions the restored aggregator is about to issue again. The
 * aggregator and the learners are restarted together (one pipelined region), so both compute the
 * same lineage, and learners adopt only globals of theirs.
 */
final class Lineage {

    private Lineage() {}

    static String of(RuntimeContext context) {
        return context.getJobInfo().getJobId() + "/" + context.getTaskInfo().getAttemptNumber();
    }
}
