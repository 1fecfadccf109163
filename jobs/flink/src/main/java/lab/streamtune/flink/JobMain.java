package lab.streamtune.flink;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import lab.streamtune.flink.nexmark.Queries;
import lab.streamtune.flink.synthetic.SyntheticJob;
import lab.streamtune.flink.util.Args;

/**
 * Entry point of the job jar (for POST /jars/:id/run on any cluster) and the job builder the launcher uses.
 *
 * <pre>
 *   --job nexmark --query q5 | --job synthetic --spec '{"name":..,"operators":[..],"edges":[..]}' (or @file)
 *   --parallelism '{"source":1,"bids":2,...}'   per operator id; others get --default-parallelism (1)
 *   --rate 1000                                  initial total source rate, records/s
 *   --rate-url http://127.0.0.1:port/rate/x      polled every 250 ms for a new rate (plain number or {"rate":n})
 *   --splits 32                                  source splits (the most source subtasks that get work)
 *   --checkpoint-interval-ms 2000  --max-parallelism 128  --seed 42  --name job-name
 *   synthetic only: --wait-fraction 0.8  --park-threshold-us 1000  --keys 1024
 * </pre>
 */
public final class JobMain {
    private JobMain() {}

    public static void main(String[] argv) throws Exception {
        Args a = Args.parse(argv);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        String name = configure(env, a);
        env.execute(name);
    }

    /** Builds the chosen job into env; returns the job name. */
    public static String configure(StreamExecutionEnvironment env, Args a) {
        env.disableOperatorChaining();
        env.enableCheckpointing(a.getLong("checkpoint-interval-ms", 2000));
        env.setMaxParallelism(a.getInt("max-parallelism", 128));
        JobContext c = new JobContext(env, a);
        String job = a.get("job", "nexmark");
        String name;
        switch (job) {
            case "nexmark": {
                String q = a.require("query");
                Queries.build(c, q);
                name = "nexmark-" + q;
                break;
            }
            case "synthetic":
                SyntheticJob.build(c);
                name = "synthetic";
                break;
            default:
                throw new IllegalArgumentException("unknown --job '" + job + "' (nexmark or synthetic)");
        }
        return a.get("name", name);
    }
}
