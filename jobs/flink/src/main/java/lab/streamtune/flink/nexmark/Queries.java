package lab.streamtune.flink.nexmark;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import lab.streamtune.flink.JobContext;

/**
 * Nexmark queries on the DataStream API. One vertex per operator; operator ids match the harness templates
 * (src/workloads/nexmark/templates.ts):
 *   q0: source, bids, project, sink          q1: source, bids, currency, sink
 *   q2: source, select, project, sink        q3: source, persons, auctions, join, sink
 *   q4: source, bids, auctions, winningBid, average, sink
 *   q6: source, bids, auctions, winningBid, sellerAvg, sink
 *   q5: source, bids, hotCount, maxCount, sink
 *   q7: source, bids, preMax, globalMax, sink
 *   q8: source, persons, auctions, join, sink
 *   q11: source, bids, sessions, sink
 * Stateless edges use rebalance (so any operator can be rescaled on its own); keyed edges hash-partition.
 */
public final class Queries {
    public static final List<String> NAMES = List.of("q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q11");
    static final TypeInformation<Event> EVENT = TypeInformation.of(Event.class);
    static final TypeInformation<Bid> BID = TypeInformation.of(Bid.class);
    static final TypeInformation<Person> PERSON = TypeInformation.of(Person.class);
    static final TypeInformation<Auction> AUCTION = TypeInformation.of(Auction.class);

    private Queries() {}

    public static void build(JobContext c, String query) {
        NexmarkGenerator gen = new NexmarkGenerator(c.seed);
        DataStream<Event> events = c.source("source", gen::next, EVENT, 1.0);
        switch (query) {
            case "q0":
                sink(c, c.op(bids(c, events).rebalance().map(Bid::copy).returns(BID), "project"));
                break;
            case "q1":
                sink(c, c.op(bids(c, events).rebalance().map(new Currency()).returns(BID), "currency"));
                break;
            case "q2": {
                SingleOutputStreamOperator<Bid> select = c.op(events.rebalance().flatMap(new Select()).returns(BID), "select");
                sink(c, c.op(select.rebalance().map(new AuctionPrice()).returns(Types.TUPLE(Types.LONG, Types.LONG)), "project"));
                break;
            }
            case "q3": {
                DataStream<Person> persons = c.op(events.rebalance().flatMap(new PersonsIn(Set.of("OR", "ID", "CA"))).returns(PERSON), "persons");
                DataStream<Auction> auctions = c.op(events.rebalance().flatMap(new AuctionsIn(10)).returns(AUCTION), "auctions");
                sink(c, c.op(persons.keyBy(p -> p.id, Types.LONG).connect(auctions.keyBy(a -> a.seller, Types.LONG))
                        .process(new IncrementalJoin()).returns(Types.TUPLE(Types.STRING, Types.STRING, Types.STRING, Types.LONG)), "join"));
                break;
            }
            case "q4":
            case "q6": {
                DataStream<Auction> auctions = c.op(events.rebalance().flatMap(new AuctionsIn(-1)).returns(AUCTION), "auctions");
                DataStream<Tuple3<Long, Long, Long>> winning = c.op(bids(c, events).keyBy(b -> b.auction, Types.LONG)
                        .connect(auctions.keyBy(a -> a.id, Types.LONG))
                        .process(new WinningBid()).returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)), "winningBid");
                if (query.equals("q4")) {
                    sink(c, c.op(winning.keyBy(t -> t.f0, Types.LONG).process(new CategoryAverage())
                            .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)), "average"));
                } else {
                    sink(c, c.op(winning.keyBy(t -> t.f2, Types.LONG).process(new SellerAverage(10))
                            .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)), "sellerAvg"));
                }
                break;
            }
            case "q5": {
                DataStream<Tuple3<Long, Long, Long>> counts = c.op(bids(c, events).keyBy(b -> b.auction, Types.LONG)
                        .window(SlidingEventTimeWindows.of(Duration.ofSeconds(10), Duration.ofSeconds(2)))
                        .aggregate(new CountBids(), new WithWindowEnd())
                        .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)), "hotCount");
                sink(c, c.op(counts.keyBy(t -> t.f2, Types.LONG).process(new MaxPerWindow())
                        .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)), "maxCount"));
                break;
            }
            case "q7": {
                DataStream<Tuple3<Long, Long, Long>> pre = c.op(bids(c, events).keyBy(b -> b.auction, Types.LONG)
                        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
                        .aggregate(new MaxPrice(), new WithWindowEnd())
                        .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)), "preMax");
                sink(c, c.op(pre.keyBy(t -> t.f2, Types.LONG).process(new MaxPerWindow())
                        .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)), "globalMax"));
                break;
            }
            case "q8": {
                DataStream<Person> persons = c.op(events.rebalance().flatMap(new PersonsIn(null)).returns(PERSON), "persons");
                DataStream<Auction> auctions = c.op(events.rebalance().flatMap(new AuctionsIn(-1)).returns(AUCTION), "auctions");
                sink(c, c.op(persons.keyBy(p -> p.id, Types.LONG).connect(auctions.keyBy(a -> a.seller, Types.LONG))
                        .process(new WindowJoin(10_000)).returns(Types.TUPLE(Types.LONG, Types.STRING, Types.LONG)), "join"));
                break;
            }
            case "q11": {
                sink(c, c.op(bids(c, events).keyBy(b -> b.bidder, Types.LONG)
                        .window(EventTimeSessionWindows.withGap(Duration.ofSeconds(10)))
                        .aggregate(new CountBids(), new WithWindowEnd())
                        .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)), "sessions"));
                break;
            }
            default:
                throw new IllegalArgumentException("unknown query '" + query + "'; known: " + NAMES);
        }
    }

    static SingleOutputStreamOperator<Bid> bids(JobContext c, DataStream<Event> events) {
        return c.op(events.rebalance().flatMap(new BidsIn()).returns(BID), "bids");
    }

    /** The sink: counts and drops (one vertex named "sink"). */
    static <T> void sink(JobContext c, DataStream<T> in) {
        c.op(in.rebalance().process(new Discard<T>()).returns(Types.VOID), "sink");
    }

    public static final class Discard<T> extends ProcessFunction<T, Void> {
        @Override
        public void processElement(T value, Context ctx, Collector<Void> out) {}
    }

    public static final class BidsIn implements FlatMapFunction<Event, Bid> {
        @Override
        public void flatMap(Event e, Collector<Bid> out) {
            if (e.type == Event.BID) out.collect(e.bid);
        }
    }

    public static final class PersonsIn implements FlatMapFunction<Event, Person> {
        private final Set<String> states;

        PersonsIn(Set<String> states) {
            this.states = states;
        }

        @Override
        public void flatMap(Event e, Collector<Person> out) {
            if (e.type == Event.PERSON && (states == null || states.contains(e.person.state))) out.collect(e.person);
        }
    }

    public static final class AuctionsIn implements FlatMapFunction<Event, Auction> {
        private final long category;

        AuctionsIn(long category) {
            this.category = category;
        }

        @Override
        public void flatMap(Event e, Collector<Auction> out) {
            if (e.type == Event.AUCTION && (category < 0 || e.auction.category == category)) out.collect(e.auction);
        }
    }

    /** q1: dollars to euros. */
    public static final class Currency implements MapFunction<Bid, Bid> {
        @Override
        public Bid map(Bid b) {
            Bid o = b.copy();
            o.price = (long) (b.price * 0.908);
            return o;
        }
    }

    /** q2: bids on every 123rd auction. */
    public static final class Select implements FlatMapFunction<Event, Bid> {
        @Override
        public void flatMap(Event e, Collector<Bid> out) {
            if (e.type == Event.BID && e.bid.auction % 123 == 0) out.collect(e.bid);
        }
    }

    public static final class AuctionPrice implements MapFunction<Bid, Tuple2<Long, Long>> {
        @Override
        public Tuple2<Long, Long> map(Bid b) {
            return Tuple2.of(b.auction, b.price);
        }
    }

    /**
     * q3: incremental join of persons (by id) with auctions (by seller), emitting (name, city, state, auction)
     * on either side's arrival. State expires after 10 minutes (processing time) so that the job can run for
     * hours; Nexmark's own q3 keeps it forever.
     */
    public static final class IncrementalJoin extends KeyedCoProcessFunction<Long, Person, Auction, Tuple4<String, String, String, Long>> {
        private transient ValueState<Person> person;
        private transient ListState<Long> pending;

        @Override
        public void open(OpenContext ctx) {
            StateTtlConfig ttl = StateTtlConfig.newBuilder(Duration.ofMinutes(10)).build();
            ValueStateDescriptor<Person> pd = new ValueStateDescriptor<>("person", PERSON);
            pd.enableTimeToLive(ttl);
            ListStateDescriptor<Long> ad = new ListStateDescriptor<>("pending-auctions", Types.LONG);
            ad.enableTimeToLive(ttl);
            person = getRuntimeContext().getState(pd);
            pending = getRuntimeContext().getListState(ad);
        }

        @Override
        public void processElement1(Person p, Context ctx, Collector<Tuple4<String, String, String, Long>> out) throws Exception {
            person.update(p);
            Iterable<Long> waiting = pending.get();
            if (waiting != null) {
                for (Long a : waiting) out.collect(Tuple4.of(p.name, p.city, p.state, a));
                pending.clear();
            }
        }

        @Override
        public void processElement2(Auction a, Context ctx, Collector<Tuple4<String, String, String, Long>> out) throws Exception {
            Person p = person.value();
            if (p != null) out.collect(Tuple4.of(p.name, p.city, p.state, a.id));
            else pending.add(a.id);
        }
    }

    /**
     * q8: persons that opened an auction in the same tumbling event-time window (id = seller). Buffers both
     * sides per window and emits (person id, name, reserve) as matches appear; the window's state is dropped
     * when the watermark passes its end.
     */
    public static final class WindowJoin extends KeyedCoProcessFunction<Long, Person, Auction, Tuple3<Long, String, Long>> {
        private final long sizeMs;
        private transient MapState<Long, Person> persons;
        private transient MapState<Long, List<Long>> auctions;

        WindowJoin(long sizeMs) {
            this.sizeMs = sizeMs;
        }

        @Override
        public void open(OpenContext ctx) {
            persons = getRuntimeContext().getMapState(new MapStateDescriptor<>("persons", Types.LONG, PERSON));
            auctions = getRuntimeContext().getMapState(new MapStateDescriptor<>("auctions", Types.LONG, Types.LIST(Types.LONG)));
        }

        private long windowOf(long ts) {
            return ts - Math.floorMod(ts, sizeMs);
        }

        @Override
        public void processElement1(Person p, Context ctx, Collector<Tuple3<Long, String, Long>> out) throws Exception {
            long w = windowOf(p.dateTime);
            persons.put(w, p);
            List<Long> waiting = auctions.get(w);
            if (waiting != null) {
                for (Long reserve : waiting) out.collect(Tuple3.of(p.id, p.name, reserve));
                auctions.remove(w);
            }
            ctx.timerService().registerEventTimeTimer(w + sizeMs - 1);
        }

        @Override
        public void processElement2(Auction a, Context ctx, Collector<Tuple3<Long, String, Long>> out) throws Exception {
            long w = windowOf(a.dateTime);
            Person p = persons.get(w);
            if (p != null) {
                out.collect(Tuple3.of(p.id, p.name, a.reserve));
            } else {
                List<Long> waiting = auctions.get(w);
                if (waiting == null) waiting = new ArrayList<>();
                waiting.add(a.reserve);
                auctions.put(w, waiting);
            }
            ctx.timerService().registerEventTimeTimer(w + sizeMs - 1);
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<Tuple3<Long, String, Long>> out) throws Exception {
            long w = timestamp + 1 - sizeMs;
            persons.remove(w);
            auctions.remove(w);
        }
    }

    /**
     * q4 and q6 winningBid, keyed by auction id: bids (input 1) joined with their auction (input 2); the highest
     * bid dated in [auction date, expires] wins, emitted as (category, price, seller) when the watermark passes
     * the expiry. A bid that arrives before its auction waits until the watermark passes the bid's date; bids
     * after the auction closed, or for no auction, are dropped; an auction without such a bid emits nothing
     * (Nexmark's SQL join).
     */
    public static final class WinningBid extends KeyedCoProcessFunction<Long, Bid, Auction, Tuple3<Long, Long, Long>> {
        private transient ValueState<Auction> auction;
        private transient ValueState<Long> best;
        private transient ListState<Tuple2<Long, Long>> early;

        @Override
        public void open(OpenContext ctx) {
            auction = getRuntimeContext().getState(new ValueStateDescriptor<>("auction", AUCTION));
            best = getRuntimeContext().getState(new ValueStateDescriptor<>("best", Types.LONG));
            early = getRuntimeContext().getListState(new ListStateDescriptor<>("early-bids", Types.TUPLE(Types.LONG, Types.LONG)));
        }

        private void offer(Auction a, long dateTime, long price) throws Exception {
            Long b = best.value();
            if (dateTime >= a.dateTime && dateTime <= a.expires && (b == null || price > b)) best.update(price);
        }

        @Override
        public void processElement1(Bid b, Context ctx, Collector<Tuple3<Long, Long, Long>> out) throws Exception {
            Auction a = auction.value();
            if (a != null) {
                offer(a, b.dateTime, b.price);
            } else {
                early.add(Tuple2.of(b.dateTime, b.price));
                ctx.timerService().registerEventTimeTimer(b.dateTime);
            }
        }

        @Override
        public void processElement2(Auction a, Context ctx, Collector<Tuple3<Long, Long, Long>> out) throws Exception {
            auction.update(a);
            Iterable<Tuple2<Long, Long>> waiting = early.get();
            if (waiting != null) for (Tuple2<Long, Long> w : waiting) offer(a, w.f0, w.f1);
            early.clear();
            ctx.timerService().registerEventTimeTimer(a.expires);
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<Tuple3<Long, Long, Long>> out) throws Exception {
            Auction a = auction.value();
            if (a == null) {
                early.clear(); // the watermark passed an early bid's date: its auction, if any, would have come
            } else if (timestamp >= a.expires) {
                Long b = best.value();
                if (b != null) out.collect(Tuple3.of(a.category, b, a.seller));
                auction.clear();
                best.clear();
            }
        }
    }

    /** q4 average, keyed by category: the running average of the winning prices, as (category, average, count). */
    public static final class CategoryAverage extends KeyedProcessFunction<Long, Tuple3<Long, Long, Long>, Tuple3<Long, Long, Long>> {
        private transient ValueState<Tuple2<Long, Long>> sum;

        @Override
        public void open(OpenContext ctx) {
            sum = getRuntimeContext().getState(new ValueStateDescriptor<>("sum-count", Types.TUPLE(Types.LONG, Types.LONG)));
        }

        @Override
        public void processElement(Tuple3<Long, Long, Long> t, Context ctx, Collector<Tuple3<Long, Long, Long>> out) throws Exception {
            Tuple2<Long, Long> s = sum.value();
            s = s == null ? Tuple2.of(t.f1, 1L) : Tuple2.of(s.f0 + t.f1, s.f1 + 1);
            sum.update(s);
            out.collect(Tuple3.of(t.f0, s.f0 / s.f1, s.f1));
        }
    }

    /**
     * q6 sellerAvg, keyed by seller: the average winning price of the seller's last n closed auctions, as
     * (seller, average, auctions averaged).
     */
    public static final class SellerAverage extends KeyedProcessFunction<Long, Tuple3<Long, Long, Long>, Tuple3<Long, Long, Long>> {
        private final int last;
        private transient ValueState<long[]> recent;

        SellerAverage(int last) {
            this.last = last;
        }

        @Override
        public void open(OpenContext ctx) {
            recent = getRuntimeContext().getState(new ValueStateDescriptor<>("recent-prices", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public void processElement(Tuple3<Long, Long, Long> t, Context ctx, Collector<Tuple3<Long, Long, Long>> out) throws Exception {
            long[] r = recent.value();
            if (r == null) r = new long[0];
            int keep = Math.min(r.length, last - 1);
            long[] next = new long[keep + 1];
            System.arraycopy(r, r.length - keep, next, 0, keep);
            next[keep] = t.f1;
            recent.update(next);
            long total = 0;
            for (long p : next) total += p;
            out.collect(Tuple3.of(t.f2, total / next.length, (long) next.length));
        }
    }

    public static final class CountBids implements AggregateFunction<Bid, Long, Long> {
        @Override
        public Long createAccumulator() {
            return 0L;
        }

        @Override
        public Long add(Bid value, Long acc) {
            return acc + 1;
        }

        @Override
        public Long getResult(Long acc) {
            return acc;
        }

        @Override
        public Long merge(Long a, Long b) {
            return a + b;
        }
    }

    public static final class MaxPrice implements AggregateFunction<Bid, Long, Long> {
        @Override
        public Long createAccumulator() {
            return Long.MIN_VALUE;
        }

        @Override
        public Long add(Bid value, Long acc) {
            return Math.max(acc, value.price);
        }

        @Override
        public Long getResult(Long acc) {
            return acc;
        }

        @Override
        public Long merge(Long a, Long b) {
            return Math.max(a, b);
        }
    }

    /** (key, aggregate, window end). */
    public static final class WithWindowEnd extends ProcessWindowFunction<Long, Tuple3<Long, Long, Long>, Long, TimeWindow> {
        @Override
        public void process(Long key, Context ctx, Iterable<Long> values, Collector<Tuple3<Long, Long, Long>> out) {
            for (Long v : values) out.collect(Tuple3.of(key, v, ctx.window().getEnd()));
        }
    }

    /**
     * Keyed by window end: the largest value among (key, value, windowEnd) records of one window, emitted with
     * every key tied at it when the watermark passes the window end (q5's hot items, q7's highest bid).
     */
    public static final class MaxPerWindow extends KeyedProcessFunction<Long, Tuple3<Long, Long, Long>, Tuple3<Long, Long, Long>> {
        private transient ValueState<Long> max;
        private transient ListState<Long> keys;

        @Override
        public void open(OpenContext ctx) {
            max = getRuntimeContext().getState(new ValueStateDescriptor<>("max", Types.LONG));
            keys = getRuntimeContext().getListState(new ListStateDescriptor<>("keys", Types.LONG));
        }

        @Override
        public void processElement(Tuple3<Long, Long, Long> t, Context ctx, Collector<Tuple3<Long, Long, Long>> out) throws Exception {
            Long m = max.value();
            if (m == null || t.f1 > m) {
                max.update(t.f1);
                keys.update(List.of(t.f0));
                ctx.timerService().registerEventTimeTimer(t.f2 - 1);
            } else if (t.f1.equals(m)) {
                keys.add(t.f0);
            }
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<Tuple3<Long, Long, Long>> out) throws Exception {
            Long m = max.value();
            Iterable<Long> ks = keys.get();
            if (m != null && ks != null) for (Long k : ks) out.collect(Tuple3.of(k, m, ctx.getCurrentKey()));
            max.clear();
            keys.clear();
        }
    }
}
