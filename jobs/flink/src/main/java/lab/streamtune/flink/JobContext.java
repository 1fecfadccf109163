package lab.streamtune.flink;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.Map;

import lab.streamtune.flink.source.GeneratorSource;
import lab.streamtune.flink.source.RecordFactory;
import lab.streamtune.flink.util.Args;
import lab.streamtune.flink.util.Json;

/**
 * What every job builder needs: the environment, per-operator parallelism, and the rate settings. Every operator
 * is named and uid'ed with its harness operator id (the Flink vertex name is then the id; Flink shows a source
 * as "Source: <id>").
 */
public final class JobContext {
    public final StreamExecutionEnvironment env;
    public final Args args;
    private final Map<String, Integer> parallelism;
    private final int defaultParallelism;
    public final double rate;
    public final String rateUrl;
    public final int splits;
    public final long seed;

    public JobContext(StreamExecutionEnvironment env, Args args) {
        this.env = env;
        this.args = args;
        this.parallelism = Json.intMap(args.get("parallelism", "{}"));
        this.defaultParallelism = args.getInt("default-parallelism", 1);
        this.rate = args.getDouble("rate", 1000);
        this.rateUrl = args.get("rate-url", null);
        this.splits = args.getInt("splits", 32);
        this.seed = args.getLong("seed", 42);
    }

    public int p(String id) {
        return parallelism.getOrDefault(id, defaultParallelism);
    }

    /** Names, uids and sizes an operator. */
    public <T> SingleOutputStreamOperator<T> op(SingleOutputStreamOperator<T> s, String id) {
        return s.name(id).uid(id).setParallelism(p(id));
    }

    public <T> DataStream<T> source(String id, RecordFactory<T> factory, TypeInformation<T> type, double rateShare) {
        GeneratorSource<T> src = new GeneratorSource<>(factory, type, splits, rate, rateUrl, rateShare);
        WatermarkStrategy<T> wm = WatermarkStrategy.<T>forBoundedOutOfOrderness(Duration.ofSeconds(4)).withIdleness(Duration.ofSeconds(5));
        return env.fromSource(src, wm, id, type).uid(id).setParallelism(p(id));
    }
}
