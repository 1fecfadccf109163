package lab.streamtune.flink.source;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Hands out the fixed set of splits: split k goes to reader k % parallelism once that reader registers.
 * Splits that readers hold are checkpointed by the readers (and redistributed by Flink on rescale); the
 * enumerator only checkpoints those not yet assigned.
 */
final class GenEnumerator implements SplitEnumerator<GenSplit, List<GenSplit>> {
    private final SplitEnumeratorContext<GenSplit> context;
    private final List<GenSplit> unassigned;

    GenEnumerator(SplitEnumeratorContext<GenSplit> context, List<GenSplit> unassigned) {
        this.context = context;
        this.unassigned = new ArrayList<>(unassigned);
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {}

    @Override
    public void addSplitsBack(List<GenSplit> splits, int subtaskId) {
        unassigned.addAll(splits);
        assign();
    }

    @Override
    public void addReader(int subtaskId) {
        assign();
    }

    private void assign() {
        int parallelism = context.currentParallelism();
        for (Iterator<GenSplit> it = unassigned.iterator(); it.hasNext(); ) {
            GenSplit s = it.next();
            int target = s.index % parallelism;
            if (context.registeredReaders().containsKey(target)) {
                context.assignSplit(s, target);
                it.remove();
            }
        }
    }

    @Override
    public List<GenSplit> snapshotState(long checkpointId) {
        List<GenSplit> out = new ArrayList<>(unassigned.size());
        for (GenSplit s : unassigned) out.add(s.copy());
        return out;
    }

    @Override
    public void close() {}
}
