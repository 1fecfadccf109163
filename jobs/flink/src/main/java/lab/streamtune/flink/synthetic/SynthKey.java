package lab.streamtune.flink.synthetic;

import org.apache.flink.api.java.functions.KeySelector;

import lab.streamtune.flink.util.Hashing;

/** Key of a record on a hash edge: the hot key 0 with probability skew, else uniform over numKeys keys. */
public final class SynthKey implements KeySelector<Rec, Long> {
    private static final long serialVersionUID = 1L;
    private final double skew;
    private final int numKeys;
    private final long salt;

    public SynthKey(double skew, int numKeys, long salt) {
        this.skew = skew;
        this.numKeys = Math.max(1, numKeys);
        this.salt = salt;
    }

    @Override
    public Long getKey(Rec r) {
        long h = Hashing.mix(r.seq, salt);
        if (Hashing.unit(h) < skew) return 0L;
        return 1 + Math.floorMod(Hashing.mix(h), (long) numKeys);
    }
}
