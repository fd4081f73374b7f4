package dev.tideline.cli;

import java.lang.management.ManagementFactory;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Where the in-process broker spends a request's time, from its own request metrics (the {@code
 * kafka.network:type=RequestMetrics} histograms, which weigh recent requests most): waiting for a
 * request handler thread, appending or reading locally, waiting on others (replicas, a delayed
 * fetch, the transaction coordinator), and answering, and the errors it answered with. Requests the
 * pipeline's transactions make.
 */
final class BrokerTimes {

    private static final List<String> REQUESTS =
            List.of(
                    "Produce",
                    "FetchConsumer",
                    "EndTxn",
                    "TxnOffsetCommit",
                    "AddOffsetsToTxn",
                    "AddPartitionsToTxn",
                    "WriteTxnMarkers");

    private static final List<String> PARTS =
            List.of(
                    "RequestQueueTimeMs",
                    "LocalTimeMs",
                    "RemoteTimeMs",
                    "ResponseQueueTimeMs",
                    "ResponseSendTimeMs");

    private BrokerTimes() {}

    /**
     * One line per request kind this JVM's broker has served: count, mean and p99 of the total, the
     * mean of each part, and how many it answered with each error.
     */
    static String describe() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        StringBuilder sb = new StringBuilder();
        for (String request : REQUESTS) {
            try {
                ObjectName total = name("TotalTimeMs", request);
                if (!server.isRegistered(total)) {
                    continue;
                }
                sb.append(
                        String.format(
                                "%n  %s: %d requests, total mean %.1f ms p99 %.1f ms;",
                                request,
                                ((Number) server.getAttribute(total, "Count")).longValue(),
                                ((Number) server.getAttribute(total, "Mean")).doubleValue(),
                                ((Number) server.getAttribute(total, "99thPercentile"))
                                        .doubleValue()));
                for (String part : PARTS) {
                    ObjectName n = name(part, request);
                    if (server.isRegistered(n)) {
                        sb.append(
                                String.format(
                                        " %s %.1f",
                                        part.replace("TimeMs", ""),
                                        ((Number) server.getAttribute(n, "Mean")).doubleValue()));
                    }
                }
                // Answers other than NONE: a CONCURRENT_TRANSACTIONS one sends the client into
                // its retry backoff while the last transaction's markers are written.
                for (ObjectName errors :
                        server.queryNames(name("ErrorsPerSec", request + ",error=*"), null)) {
                    long count = ((Number) server.getAttribute(errors, "Count")).longValue();
                    String error = errors.getKeyProperty("error");
                    if (count > 0 && !"NONE".equals(error)) {
                        sb.append(String.format("; %s %d", error, count));
                    }
                }
            } catch (Exception e) {
                sb.append(String.format("%n  %s: unreadable (%s)", request, e));
            }
        }
        return sb.length() == 0 ? " no broker in this process" : sb.toString();
    }

    /** A request metric's name; {@code request} may carry further keys, or a pattern's. */
    private static ObjectName name(String metric, String request) throws Exception {
        return new ObjectName(
                "kafka.network:type=RequestMetrics,name=" + metric + ",request=" + request);
    }
}
