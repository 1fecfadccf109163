package lab.streamtune.flink.synthetic;

import org.apache.flink.util.OutputTag;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import lab.streamtune.flink.util.Hashing;

/** What a synthetic operator does to one record: pay its cost, then emit selectivity copies to every out-edge. */
public final class SynthLogic implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One out-edge: its side-output tag and the share of this operator's output that it carries. */
    public static final class Out implements Serializable {
        private static final long serialVersionUID = 1L;
        final OutputTag<Rec> tag;
        final double share;
        final long salt;

        public Out(OutputTag<Rec> tag, double share, long salt) {
            this.tag = tag;
            this.share = share;
            this.salt = salt;
        }
    }

    private final Cost cost;
    private final double selectivity;
    private final long self;
    private final List<Out> outs;
    /** Shares of edges out of sources (by the source's id hash): records beyond the share are dropped here. */
    private final Map<Long, Double> inShares;

    public SynthLogic(Cost cost, double selectivity, long self, List<Out> outs, Map<Long, Double> inShares) {
        this.cost = cost;
        this.selectivity = selectivity;
        this.self = self;
        this.outs = outs;
        this.inShares = inShares;
    }

    public static boolean passes(long seq, long salt, double share) {
        return share >= 1 || Hashing.unit(Hashing.mix(seq, salt)) < share;
    }

    public void process(Rec r, BiConsumer<OutputTag<Rec>, Rec> emit) {
        Double inShare = inShares.get(r.origin);
        if (inShare != null && !passes(r.seq, r.origin ^ self, inShare)) return;
        cost.pay();
        if (outs.isEmpty()) return;
        int copies = (int) Math.floor(selectivity);
        double frac = selectivity - copies;
        if (frac > 0 && Hashing.unit(Hashing.mix(r.seq, self)) < frac) copies++;
        for (int i = 0; i < copies; i++) {
            long seq = i == 0 ? r.seq : Hashing.mix(r.seq, self + i);
            for (Out o : outs) {
                if (passes(seq, o.salt, o.share)) emit.accept(o.tag, new Rec(seq, self));
            }
        }
    }
}
