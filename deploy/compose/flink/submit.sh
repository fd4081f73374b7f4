#!/usr/bin/env bash
# Submits the training job to the compose file's Flink session cluster unless a job of that name
# already runs there. The job's settings are this container's TIDELINE_* variables; with
# tideline.training.resume-from=latest it resumes from the newest retained checkpoint on the
# shared volume, so submitting again after the cluster restarted continues where it stopped.
set -euo pipefail
jobmanager="${JOBMANAGER:-jobmanager:8081}"
jar=/opt/flink/usrlib/tideline-flink-training-job.jar

for _ in $(seq 1 60); do
    if /opt/flink/bin/flink list -r -m "$jobmanager" > /tmp/running 2>/dev/null; then
        break
    fi
    sleep 2
done
if grep -q 'tideline-training' /tmp/running; then
    echo "the training job already runs:"
    grep 'tideline-training' /tmp/running
    exit 0
fi
exec /opt/flink/bin/flink run -d -m "$jobmanager" "$jar"
