package lab.streamtune.flink;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import lab.streamtune.flink.util.Args;
import lab.streamtune.flink.util.Json;

/**
 * Starts a session-like MiniCluster (one TaskManager with --slots slots, REST on a free loopback port, adaptive
 * scheduler with zero cooldowns, 500 ms metric fetch interval, checkpoints under --state-dir) and, when --job
 * is given, submits that job (same arguments as JobMain; --restore PATH restores a savepoint). Prints JSON lines
 * on stdout: {"event":"rest","url":...,"flinkVersion":...}, then {"event":"submitted","jobId":...}. Exits when
 * stdin closes (unless --ignore-stdin) or on SIGTERM, closing the cluster.
 *
 * <pre>
 *   --slots 32 --rest-port 0 --state-dir DIR --scheduler adaptive|default --metrics-interval-ms 500
 *   --flink-conf '{"key":"value",...}'   extra Flink configuration
 * </pre>
 */
public final class Launcher {
    private Launcher() {}

    static synchronized void emit(String json) {
        System.out.println(json);
        System.out.flush();
    }

    public static Configuration configuration(Args a) throws Exception {
        int slots = a.getInt("slots", 32);
        // Only without --state-dir a temp folder is made (a default argument would create one on every start).
        Path stateDir = (a.has("state-dir") ? Path.of(a.get("state-dir", null)) : Files.createTempDirectory("streamtune-flink")).toAbsolutePath();
        Files.createDirectories(stateDir);
        Map<String, String> m = new LinkedHashMap<>();
        m.put("rest.address", "127.0.0.1");
        m.put("rest.bind-address", "127.0.0.1");
        m.put("rest.bind-port", a.get("rest-port", "0"));
        m.put("jobmanager.bind-host", "127.0.0.1");
        m.put("taskmanager.bind-host", "127.0.0.1");
        m.put("taskmanager.host", "127.0.0.1");
        m.put("jobmanager.scheduler", a.get("scheduler", "adaptive"));
        m.put("jobmanager.adaptive-scheduler.executing.cooldown-after-rescaling", "0 ms");
        m.put("jobmanager.adaptive-scheduler.executing.resource-stabilization-timeout", "0 ms");
        m.put("jobmanager.adaptive-scheduler.submission.resource-stabilization-timeout", "0 ms");
        m.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
        m.put("metrics.fetcher.update-interval", a.get("metrics-interval-ms", "500") + " ms");
        m.put("taskmanager.memory.network.min", "256mb");
        m.put("taskmanager.memory.network.max", "256mb");
        m.put("taskmanager.memory.managed.size", "64mb");
        m.put("restart-strategy.type", "fixed-delay");
        m.put("restart-strategy.fixed-delay.attempts", "10");
        m.put("restart-strategy.fixed-delay.delay", "1 s");
        m.put("execution.checkpointing.dir", stateDir.resolve("checkpoints").toUri().toString());
        m.put("execution.checkpointing.savepoint-dir", stateDir.resolve("savepoints").toUri().toString());
        m.put("web.upload.dir", stateDir.resolve("uploads").toString());
        m.put("web.tmpdir", stateDir.resolve("web").toString());
        m.put("io.tmp.dirs", stateDir.resolve("tmp").toString());
        m.put("rest.flamegraph.enabled", "false");
        // REST answers from a cached ExecutionGraph (web.refresh-interval, 3 s by default): keep it fresh, so that
        // job and task states (rescale progress, downtime) are seen as they change. Not 0: with a zero TTL,
        // concurrent requests cancel each other's fetch (CancellationException, HTTP 500).
        m.put("rest.cache.execution-graph.timeout", "200 ms");
        m.put("web.refresh-interval", "1 s");
        m.putAll(Json.intMapAsStrings(a.get("flink-conf", "{}")));
        Files.createDirectories(stateDir.resolve("uploads"));
        Files.createDirectories(stateDir.resolve("tmp"));
        return Configuration.fromMap(m);
    }

    public static void main(String[] argv) throws Exception {
        Args a = Args.parse(argv);
        Configuration conf = configuration(a);
        int slots = a.getInt("slots", 32);
        MiniClusterConfiguration mcc = new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .build();
        MiniCluster cluster = new MiniCluster(mcc);
        Thread hook = new Thread(() -> close(cluster), "minicluster-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        cluster.start();
        URI rest = cluster.getRestAddress().get(60, TimeUnit.SECONDS);
        String url = "http://127.0.0.1:" + rest.getPort();
        emit("{\"event\":\"rest\",\"url\":" + Json.quote(url) + ",\"flinkVersion\":" + Json.quote(EnvironmentInformation.getVersion())
                + ",\"slots\":" + slots + ",\"pid\":" + ProcessHandle.current().pid() + "}");

        if (a.has("job")) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            String name = JobMain.configure(env, a);
            StreamGraph streamGraph = env.getStreamGraph();
            streamGraph.setJobName(name);
            JobGraph graph = streamGraph.getJobGraph();
            if (a.has("restore")) graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(a.get("restore", null), false));
            String jobId = cluster.submitJob(graph).get(60, TimeUnit.SECONDS).getJobID().toHexString();
            emit("{\"event\":\"submitted\",\"jobId\":" + Json.quote(jobId) + ",\"name\":" + Json.quote(name) + "}");
        }

        if (a.has("ignore-stdin")) {
            Thread.currentThread().join();
        }
        InputStream in = System.in;
        byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
            // the harness never writes; we only wait for end of file (the harness went away or closed the pipe)
        }
        emit("{\"event\":\"stopping\",\"reason\":\"stdin closed\"}");
        System.exit(0); // runs the shutdown hook, which closes the cluster
    }

    private static void close(MiniCluster cluster) {
        try {
            cluster.closeAsync().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the JVM is exiting anyway
        }
    }
}
