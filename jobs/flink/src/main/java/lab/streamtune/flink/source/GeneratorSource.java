package lab.streamtune.flink.source;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.util.ArrayList;
import java.util.List;

/**
 * An unbounded, wall-clock paced, rescalable generator source (FLIP-27). numSplits fixes how far the source
 * itself can scale out (a reader without splits idles). The target rate is the job's total rate times this
 * source's rateShare, and follows the rate URL while the job runs (see RateControl).
 */
public final class GeneratorSource<T> implements Source<T, GenSplit, List<GenSplit>>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;
    private final RecordFactory<T> factory;
    private final TypeInformation<T> type;
    private final int numSplits;
    private final double initialRate;
    private final String rateUrl;
    private final double rateShare;

    public GeneratorSource(RecordFactory<T> factory, TypeInformation<T> type, int numSplits, double initialRate, String rateUrl, double rateShare) {
        if (numSplits < 1) throw new IllegalArgumentException("numSplits must be >= 1");
        this.factory = factory;
        this.type = type;
        this.numSplits = numSplits;
        this.initialRate = initialRate;
        this.rateUrl = rateUrl;
        this.rateShare = rateShare;
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SourceReader<T, GenSplit> createReader(SourceReaderContext readerContext) {
        return new GenReader<>(readerContext, factory, initialRate, rateUrl, rateShare, numSplits);
    }

    @Override
    public SplitEnumerator<GenSplit, List<GenSplit>> createEnumerator(SplitEnumeratorContext<GenSplit> enumContext) {
        List<GenSplit> all = new ArrayList<>(numSplits);
        for (int i = 0; i < numSplits; i++) all.add(new GenSplit(i, numSplits, 0, Double.NaN));
        return new GenEnumerator(enumContext, all);
    }

    @Override
    public SplitEnumerator<GenSplit, List<GenSplit>> restoreEnumerator(SplitEnumeratorContext<GenSplit> enumContext, List<GenSplit> checkpoint) {
        return new GenEnumerator(enumContext, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<GenSplit> getSplitSerializer() {
        return new GenSplit.Serializer();
    }

    @Override
    public SimpleVersionedSerializer<List<GenSplit>> getEnumeratorCheckpointSerializer() {
        return new GenSplit.ListSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return type;
    }
}
