package lab.streamtune.flink.synthetic;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** The synthetic operator as a stateless ProcessFunction or a keyed one (a per-key record count as state). */
public final class SynthFns {
    private SynthFns() {}

    public static final class Stateless extends ProcessFunction<Rec, Rec> {
        private final SynthLogic logic;

        public Stateless(SynthLogic logic) {
            this.logic = logic;
        }

        @Override
        public void processElement(Rec r, Context ctx, Collector<Rec> out) {
            logic.process(r, ctx::output);
        }
    }

    public static final class Keyed extends KeyedProcessFunction<Long, Rec, Rec> {
        private final SynthLogic logic;
        private transient ValueState<Long> count;

        public Keyed(SynthLogic logic) {
            this.logic = logic;
        }

        @Override
        public void open(OpenContext ctx) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }

        @Override
        public void processElement(Rec r, Context ctx, Collector<Rec> out) throws Exception {
            Long c = count.value();
            count.update(c == null ? 1 : c + 1);
            logic.process(r, ctx::output);
        }
    }
}
