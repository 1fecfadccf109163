package lab.streamtune.flink.source;

import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One of the source's fixed number of splits. Split k emits event ids k, k + n, k + 2n, ... (n = number of
 * splits), each at rate/n per second. Its state is how many events it has emitted and the event time (wall
 * clock, ms) at which its next event is due; a restored split therefore owes every event that fell due while
 * the job was down (a backlog, as with a replayable log).
 */
public final class GenSplit implements SourceSplit {
    public final int index;
    public final int numSplits;
    /** Events emitted so far by this split. */
    public long emitted;
    /** Wall-clock ms at which the next event is due; NaN until a reader first starts the split. */
    public double cursorMs;

    public GenSplit(int index, int numSplits, long emitted, double cursorMs) {
        this.index = index;
        this.numSplits = numSplits;
        this.emitted = emitted;
        this.cursorMs = cursorMs;
    }

    public long nextEventId() {
        return index + emitted * (long) numSplits;
    }

    public GenSplit copy() {
        return new GenSplit(index, numSplits, emitted, cursorMs);
    }

    @Override
    public String splitId() {
        return Integer.toString(index);
    }

    @Override
    public String toString() {
        return "GenSplit{" + index + "/" + numSplits + ", emitted=" + emitted + ", cursor=" + cursorMs + "}";
    }

    static void write(DataOutputStream out, GenSplit s) throws IOException {
        out.writeInt(s.index);
        out.writeInt(s.numSplits);
        out.writeLong(s.emitted);
        out.writeDouble(s.cursorMs);
    }

    static GenSplit read(DataInputStream in) throws IOException {
        return new GenSplit(in.readInt(), in.readInt(), in.readLong(), in.readDouble());
    }

    /** Serializer of one split. */
    public static final class Serializer implements SimpleVersionedSerializer<GenSplit> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(GenSplit s) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                write(out, s);
            }
            return bytes.toByteArray();
        }

        @Override
        public GenSplit deserialize(int version, byte[] data) throws IOException {
            if (version != 1) throw new IOException("unknown GenSplit version " + version);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
                return read(in);
            }
        }
    }

    /** Serializer of the enumerator's checkpoint: its unassigned splits. */
    public static final class ListSerializer implements SimpleVersionedSerializer<List<GenSplit>> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(List<GenSplit> splits) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 32 * splits.size());
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(splits.size());
                for (GenSplit s : splits) write(out, s);
            }
            return bytes.toByteArray();
        }

        @Override
        public List<GenSplit> deserialize(int version, byte[] data) throws IOException {
            if (version != 1) throw new IOException("unknown GenSplit list version " + version);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
                int n = in.readInt();
                List<GenSplit> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) out.add(read(in));
                return out;
            }
        }
    }
}
