//! Counters shared between the worker threads (writers) and the control thread (reader).
//!
//! Per worker and harness operator: busy nanoseconds (sum of Schedule start..stop spans of the operator's timely
//! operator), records in (processed; see logging.rs) and pulled (receive-side Messages events on channels into
//! the operator), records out (send-side
//! Messages events on the operator's output channels, divided by the number of channels each port feeds), and
//! per worker the parked nanoseconds (Park..Unpark). Each is cumulative since the process started, published by
//! the worker's logging callback together with `as_of_ns`, the logging clock up to which they are complete, so
//! that the harness differences two samples over the same clock as the counters.
//!
//! Per worker and source: events emitted, the next event id, the pacing cursor (wall ms when the next event is
//! due) and the nanoseconds the source was held back by flow control.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

#[derive(Default)]
pub struct OpStats {
    pub busy_ns: AtomicU64,
    pub records_in: AtomicU64,
    pub pulled: AtomicU64,
    pub records_out: AtomicU64,
    pub schedules: AtomicU64,
}

#[derive(Default)]
pub struct SourceStats {
    /// This worker emits for the source (in placement mode only the source's k workers do).
    pub active: AtomicBool,
    pub emitted: AtomicU64,
    pub next_id: AtomicU64,
    /// f64 bits: wall-clock ms when the next event is due.
    pub cursor_ms: AtomicU64,
    /// f64 bits: this worker's share of the source's target rate, records/s.
    pub rate: AtomicU64,
    pub blocked_ns: AtomicU64,
}

pub struct WorkerStats {
    pub index: usize,
    pub as_of_ns: AtomicU64,
    pub park_ns: AtomicU64,
    /// Wall-clock ms (unix) of the logging clock's zero.
    pub epoch_unix_ms: AtomicU64,
    pub ops: Vec<OpStats>,
    pub sources: Vec<SourceStats>,
    pub built: AtomicBool,
}

pub struct Shared {
    /// f64 bits: the job's total target rate, records/s (all processes together).
    pub rate: AtomicU64,
    pub op_names: Vec<String>,
    pub source_names: Vec<String>,
    pub workers: Vec<WorkerStats>,
    pub logging: bool,
}

impl Shared {
    pub fn new(op_names: Vec<String>, source_names: Vec<String>, local_workers: usize, first_index: usize, rate: f64, logging: bool) -> Self {
        let workers = (0..local_workers)
            .map(|i| WorkerStats {
                index: first_index + i,
                as_of_ns: AtomicU64::new(0),
                park_ns: AtomicU64::new(0),
                epoch_unix_ms: AtomicU64::new(0),
                ops: op_names.iter().map(|_| OpStats::default()).collect(),
                sources: source_names.iter().map(|_| SourceStats::default()).collect(),
                built: AtomicBool::new(false),
            })
            .collect();
        Shared { rate: AtomicU64::new(rate.to_bits()), op_names, source_names, workers, logging }
    }

    pub fn rate(&self) -> f64 {
        f64::from_bits(self.rate.load(Relaxed))
    }

    pub fn set_rate(&self, r: f64) {
        self.rate.store(r.to_bits(), Relaxed)
    }
}

pub fn load_f64(a: &AtomicU64) -> f64 {
    f64::from_bits(a.load(Relaxed))
}

pub fn store_f64(a: &AtomicU64, v: f64) {
    a.store(v.to_bits(), Relaxed)
}
