package lab.streamtune.flink.synthetic;

import java.io.Serializable;
import java.util.concurrent.locks.LockSupport;

/**
 * Per-record service time of a synthetic operator: costUs microseconds, of which waitFraction is spent
 * waiting (as on a call to an external system: the thread parks and uses no CPU, so more instances give more
 * throughput even on 2 cores) and the rest spinning on the CPU. Waits are accumulated as a debt and paid by
 * parking once the debt exceeds parkThresholdUs, so that there is no per-record sleep overhead; oversleeping
 * is credited back.
 */
public final class Cost implements Serializable {
    private static final long serialVersionUID = 1L;
    private final double spinUs;
    private final double waitUs;
    private final double parkThresholdUs;
    private transient double debtUs;

    public Cost(double costUs, double waitFraction, double parkThresholdUs) {
        double f = Math.min(1, Math.max(0, waitFraction));
        this.waitUs = costUs * f;
        this.spinUs = costUs - waitUs;
        this.parkThresholdUs = parkThresholdUs;
    }

    public void pay() {
        if (spinUs > 0) {
            long end = System.nanoTime() + (long) (spinUs * 1000);
            while (System.nanoTime() < end) Thread.onSpinWait();
        }
        if (waitUs > 0) {
            debtUs += waitUs;
            if (debtUs >= parkThresholdUs) {
                long t0 = System.nanoTime();
                LockSupport.parkNanos((long) (debtUs * 1000));
                debtUs -= (System.nanoTime() - t0) / 1000.0;
                if (debtUs < -parkThresholdUs * 4) debtUs = -parkThresholdUs * 4;
            }
        }
    }
}
