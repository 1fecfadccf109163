//! Per-record service time of a synthetic operator (as jobs/flink's Cost): `cost_us` microseconds, of which
//! `wait_fraction` is spent waiting (as on a call to an external system: the worker thread sleeps and uses no
//! CPU, so more workers give more throughput even on 2 cores) and the rest spinning on the CPU. Waits are
//! accumulated as a debt and paid by sleeping once the debt exceeds the threshold, so that there is no
//! per-record sleep overhead; oversleeping is credited back. A wait blocks the whole worker (a timely worker is
//! one thread), so it counts as the operator's busy time.

use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Cost {
    spin: Duration,
    wait_us: f64,
    threshold_us: f64,
    debt_us: f64,
}

impl Cost {
    pub fn new(cost_us: f64, wait_fraction: f64, threshold_us: f64) -> Self {
        let f = wait_fraction.clamp(0.0, 1.0);
        let wait_us = cost_us * f;
        Cost { spin: Duration::from_nanos(((cost_us - wait_us) * 1000.0) as u64), wait_us, threshold_us, debt_us: 0.0 }
    }

    #[inline]
    pub fn pay(&mut self) {
        if !self.spin.is_zero() {
            let end = Instant::now() + self.spin;
            while Instant::now() < end {
                std::hint::spin_loop();
            }
        }
        if self.wait_us > 0.0 {
            self.debt_us += self.wait_us;
            if self.debt_us >= self.threshold_us {
                let t0 = Instant::now();
                std::thread::sleep(Duration::from_nanos((self.debt_us * 1000.0) as u64));
                self.debt_us -= t0.elapsed().as_secs_f64() * 1e6;
                if self.debt_us < -self.threshold_us * 4.0 {
                    self.debt_us = -self.threshold_us * 4.0;
                }
            }
        }
    }
}
