package lab.streamtune.flink.source;

import java.io.Serializable;

/** Makes the record with a given event id, stamped with the event time at which it was due. */
@FunctionalInterface
public interface RecordFactory<T> extends Serializable {
    T create(long eventId, long timestampMs);
}
