package lab.streamtune.flink.synthetic;

/** A synthetic record: a unique sequence number (drives every deterministic choice) and its emitter. */
public class Rec {
    public long seq;
    /** Hash of the operator id that emitted it (used to apply edge shares out of sources). */
    public long origin;

    public Rec() {}

    public Rec(long seq, long origin) {
        this.seq = seq;
        this.origin = origin;
    }
}
