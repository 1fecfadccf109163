package lab.streamtune.flink.source;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.Gauge;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Emits the events of its splits when they fall due by the wall clock (each split at rate/numSplits), oldest
 * first, in batches; when nothing is due it returns NOTHING_AVAILABLE and completes its availability future
 * when the next event falls due, so the task idles instead of spinning. Gauges on the source operator:
 * lagRecords / pendingRecords (events due but not yet emitted), targetRate (this reader's share of the target
 * rate, records/s) and rateShareSplits (splits held).
 */
final class GenReader<T> implements SourceReader<T, GenSplit> {
    private static final int BATCH = 128;
    private final SourceReaderContext context;
    private final RecordFactory<T> factory;
    private final RateControl rate;
    private final double rateShare;
    private final int numSplits;
    private final List<GenSplit> splits = new ArrayList<>();
    private final ScheduledExecutorService timer;
    private CompletableFuture<Void> available = CompletableFuture.completedFuture(null);
    /** Summary of the splits for the metric thread: count and sum of cursors. */
    private volatile int heldSplits;
    private volatile double cursorSum;

    GenReader(SourceReaderContext context, RecordFactory<T> factory, double initialRate, String rateUrl, double rateShare, int numSplits) {
        this.context = context;
        this.factory = factory;
        this.rate = new RateControl(initialRate, rateUrl);
        this.rateShare = rateShare;
        this.numSplits = numSplits;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "generator-timer-" + context.getIndexOfSubtask());
            t.setDaemon(true);
            return t;
        });
    }

    /** Records per second per split at the current target rate. */
    private double splitRate() {
        return rate.rate() * rateShare / numSplits;
    }

    long lag() {
        int k = heldSplits;
        double r = splitRate();
        if (k == 0 || r <= 0) return 0;
        double now = System.currentTimeMillis();
        double due = (k * now - cursorSum) * r / 1000.0;
        return Math.max(0L, (long) Math.floor(due));
    }

    @Override
    public void start() {
        rate.start(timer, 250);
        context.metricGroup().gauge("lagRecords", (Gauge<Long>) this::lag);
        context.metricGroup().setPendingRecordsGauge(this::lag);
        context.metricGroup().gauge("targetRate", (Gauge<Double>) () -> splitRate() * heldSplits);
        context.metricGroup().gauge("heldSplits", (Gauge<Integer>) () -> heldSplits);
    }

    private void summarise() {
        double sum = 0;
        for (GenSplit s : splits) sum += s.cursorMs;
        cursorSum = sum;
        heldSplits = splits.size();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<T> output) {
        if (splits.isEmpty()) {
            waitFor(200);
            return InputStatus.NOTHING_AVAILABLE;
        }
        double r = splitRate();
        double now = System.currentTimeMillis();
        if (r <= 0) {
            // nothing is due at rate 0: keep cursors at the present so that no backlog builds up
            for (GenSplit s : splits) s.cursorMs = Math.max(s.cursorMs, now);
            summarise();
            waitFor(50);
            return InputStatus.NOTHING_AVAILABLE;
        }
        double interval = 1000.0 / r;
        int emitted = 0;
        GenSplit next = null;
        while (emitted < BATCH) {
            next = oldest();
            if (next.cursorMs > now) break;
            long ts = (long) next.cursorMs;
            output.collect(factory.create(next.nextEventId(), ts), ts);
            next.emitted++;
            next.cursorMs += interval;
            emitted++;
        }
        summarise();
        if (emitted == BATCH) return InputStatus.MORE_AVAILABLE;
        long waitMs = (long) Math.ceil(oldest().cursorMs - now);
        waitFor(Math.max(1, Math.min(waitMs, 50)));
        return InputStatus.NOTHING_AVAILABLE;
    }

    private GenSplit oldest() {
        GenSplit best = splits.get(0);
        for (int i = 1; i < splits.size(); i++) {
            GenSplit s = splits.get(i);
            if (s.cursorMs < best.cursorMs) best = s;
        }
        return best;
    }

    private void waitFor(long ms) {
        if (!available.isDone()) return;
        CompletableFuture<Void> f = new CompletableFuture<>();
        available = f;
        timer.schedule(() -> f.complete(null), ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public List<GenSplit> snapshotState(long checkpointId) {
        List<GenSplit> out = new ArrayList<>(splits.size());
        for (GenSplit s : splits) out.add(s.copy());
        return out;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return available;
    }

    @Override
    public void addSplits(List<GenSplit> added) {
        double now = System.currentTimeMillis();
        for (GenSplit s : added) {
            GenSplit c = s.copy();
            if (Double.isNaN(c.cursorMs)) c.cursorMs = now;
            splits.add(c);
        }
        summarise();
        available.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {}

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
