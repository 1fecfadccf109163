package lab.streamtune.flink.synthetic;

import org.apache.flink.api.common.functions.Partitioner;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import lab.streamtune.flink.JobContext;
import lab.streamtune.flink.util.Hashing;

/**
 * Any DAG in the harness's JobSpec format (src/core/job.ts): operators {id, type, cost (CPU microseconds per
 * record), selectivity, partitioning, keySkew, rateShare}, edges {from, to, ship, share}. Every non-source
 * operator pays its cost per input record (a waitFraction of it waiting, the rest spinning; see Cost) and emits
 * selectivity records per input (fractions decided deterministically by record), each out-edge carrying its
 * share. Operators whose input partitioning is "hash" (by default keyedAggregate, window, join) key all their
 * inputs with a hot key of share keySkew and keep a per-key count; window and join are modelled as such keyed
 * operators (no event-time windows). Ship strategies on edges into non-keyed operators: forward = rescale
 * (pointwise, so it survives different parallelism), rebalance, broadcast, hash = custom hash partitioning.
 */
public final class SyntheticJob {
    static final TypeInformation<Rec> REC = TypeInformation.of(Rec.class);

    private SyntheticJob() {}

    static final class Op {
        String id;
        String type;
        double cost;
        double selectivity;
        String partitioning;
        double keySkew;
        double rateShare;
        final List<Edge> in = new ArrayList<>();
        final List<Edge> out = new ArrayList<>();
    }

    static final class Edge {
        String from;
        String to;
        String ship;
        double share;
        OutputTag<Rec> tag;
    }

    static String defaultPartitioning(String type) {
        return type.equals("keyedAggregate") || type.equals("window") || type.equals("join") ? "hash" : "forward";
    }

    public static void build(JobContext c) {
        JsonNode spec = lab.streamtune.flink.util.Json.parse(c.args.require("spec"));
        double waitFraction = c.args.getDouble("wait-fraction", 0.8);
        double parkUs = c.args.getDouble("park-threshold-us", 1000);
        int numKeys = c.args.getInt("keys", 1024);
        Map<String, Op> ops = new LinkedHashMap<>();
        for (JsonNode o : spec.path("operators")) {
            Op op = new Op();
            op.id = o.path("id").asText();
            op.type = o.path("type").asText();
            op.cost = o.path("cost").asDouble(10);
            op.selectivity = o.path("selectivity").asDouble(op.type.equals("sink") ? 0 : 1);
            op.partitioning = o.has("partitioning") ? o.path("partitioning").asText() : defaultPartitioning(op.type);
            op.keySkew = o.path("keySkew").asDouble(0);
            op.rateShare = o.path("rateShare").asDouble(1);
            if (op.id.isEmpty() || ops.containsKey(op.id)) throw new IllegalArgumentException("bad or duplicate operator id '" + op.id + "'");
            ops.put(op.id, op);
        }
        for (JsonNode e : spec.path("edges")) {
            Edge edge = new Edge();
            edge.from = e.path("from").asText();
            edge.to = e.path("to").asText();
            Op from = ops.get(edge.from);
            Op to = ops.get(edge.to);
            if (from == null || to == null) throw new IllegalArgumentException("edge " + edge.from + " -> " + edge.to + ": unknown operator");
            edge.ship = e.has("ship") ? e.path("ship").asText() : to.partitioning;
            edge.share = e.path("share").asDouble(1);
            edge.tag = new OutputTag<>("edge:" + edge.from + "->" + edge.to, REC);
            from.out.add(edge);
            to.in.add(edge);
        }
        double shareSum = 0;
        for (Op op : ops.values()) if (op.type.equals("source")) shareSum += op.rateShare;
        if (shareSum <= 0) throw new IllegalArgumentException("the synthetic job has no source with a positive rateShare");

        Map<String, DataStream<Rec>> sources = new HashMap<>();
        Map<String, SingleOutputStreamOperator<Rec>> built = new HashMap<>();
        int sourceIndex = 0;
        for (Op op : topological(ops)) {
            if (op.type.equals("source")) {
                final long base = ((long) sourceIndex++) << 48;
                final long origin = Hashing.of(op.id);
                Cost cost = new Cost(op.cost, waitFraction, parkUs);
                sources.put(op.id, c.source(op.id, (id, ts) -> {
                    cost.pay();
                    return new Rec(base | id, origin);
                }, REC, op.rateShare / shareSum));
                continue;
            }
            long self = Hashing.of(op.id);
            List<SynthLogic.Out> outs = new ArrayList<>();
            for (Edge e : op.out) outs.add(new SynthLogic.Out(e.tag, e.share, Hashing.mix(self, Hashing.of(e.to))));
            Map<Long, Double> inShares = new HashMap<>();
            List<DataStream<Rec>> inputs = new ArrayList<>();
            for (Edge e : op.in) {
                DataStream<Rec> s;
                if (sources.containsKey(e.from)) {
                    s = sources.get(e.from);
                    if (e.share < 1) inShares.put(Hashing.of(e.from), e.share);
                } else {
                    s = built.get(e.from).getSideOutput(e.tag);
                }
                inputs.add(s);
            }
            SynthLogic logic = new SynthLogic(new Cost(op.cost, waitFraction, parkUs), op.selectivity, self, outs, inShares);
            SingleOutputStreamOperator<Rec> result;
            if (op.partitioning.equals("hash")) {
                DataStream<Rec> all = union(inputs);
                result = all.keyBy(new SynthKey(op.keySkew, numKeys, self), org.apache.flink.api.common.typeinfo.Types.LONG)
                        .process(new SynthFns.Keyed(logic)).returns(REC);
            } else {
                List<DataStream<Rec>> shipped = new ArrayList<>();
                for (int i = 0; i < inputs.size(); i++) shipped.add(ship(inputs.get(i), op.in.get(i).ship, new SynthKey(op.keySkew, numKeys, self)));
                result = union(shipped).process(new SynthFns.Stateless(logic)).returns(REC);
            }
            built.put(op.id, c.op(result, op.id));
        }
    }

    static DataStream<Rec> union(List<DataStream<Rec>> inputs) {
        DataStream<Rec> first = inputs.get(0);
        if (inputs.size() == 1) return first;
        @SuppressWarnings("unchecked")
        DataStream<Rec>[] rest = inputs.subList(1, inputs.size()).toArray(new DataStream[0]);
        return first.union(rest);
    }

    static DataStream<Rec> ship(DataStream<Rec> s, String ship, SynthKey key) {
        switch (ship) {
            case "forward":
                return s.rescale();
            case "rebalance":
                return s.rebalance();
            case "broadcast":
                return s.broadcast();
            case "hash":
                return s.partitionCustom((Partitioner<Long>) (k, n) -> Math.floorMod(Hashing.mix(k), n), key);
            default:
                throw new IllegalArgumentException("unknown ship strategy '" + ship + "'");
        }
    }

    static List<Op> topological(Map<String, Op> ops) {
        Map<String, Integer> indeg = new HashMap<>();
        for (Op op : ops.values()) indeg.put(op.id, op.in.size());
        Deque<Op> ready = new ArrayDeque<>();
        for (Op op : ops.values()) if (op.in.isEmpty()) ready.add(op);
        List<Op> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            Op op = ready.poll();
            order.add(op);
            for (Edge e : op.out) {
                int k = indeg.merge(e.to, -1, Integer::sum);
                if (k == 0) ready.add(ops.get(e.to));
            }
        }
        if (order.size() != ops.size()) throw new IllegalArgumentException("the synthetic job has a cycle");
        for (Op op : order) {
            if (op.type.equals("source") && !op.in.isEmpty()) throw new IllegalArgumentException("source '" + op.id + "' has inputs");
            if (!op.type.equals("source") && op.in.isEmpty()) throw new IllegalArgumentException("operator '" + op.id + "' has no input");
        }
        return order;
    }
}
