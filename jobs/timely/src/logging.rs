//! Per-operator metrics from timely's own logging stream ("timely"), aggregated on the worker thread and
//! published as cumulative counters (stats.rs). Registered before the dataflow is built (a dataflow captures
//! the loggers present when it is built).
//!
//!  - Operates: operator id -> address; an operator whose name is a harness operator id is tracked (the job
//!    names exactly one leaf operator per harness operator; scopes and helpers have other names).
//!  - Channels: channel id -> target operator (address scope_addr ++ [target.0]) and source operator/port.
//!  - Schedule start/stop: busy time of the operator on this worker (no-op activations count as busy).
//!  - Messages: receive side (is_send = false) -> records pulled by the channel's target; send side -> records
//!    out of the channel's source port, divided by the number of channels that port feeds.
//!  - Text "in:<operator>:<n>": n records processed by the operator, logged by dataflow::operator as it works
//!    through its input. These are the records in: an operator that yields after its time slice has pulled
//!    records (counted by Messages) that it has not processed yet; both are on the logging clock.
//!  - Park/Unpark: the worker's idle time.
//! An open span (scheduled or parked at the time of publication) is counted up to the publication time, so the
//! counters are complete up to `as_of_ns`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use timely::logging::{StartStop, TimelyEvent};

use crate::stats::Shared;

pub struct Aggregator {
    shared: Arc<Shared>,
    local: usize,
    /// timely operator id -> harness slot
    op_slot: HashMap<usize, usize>,
    addr_slot: HashMap<Vec<usize>, usize>,
    /// channel id -> target slot
    chan_in: HashMap<usize, usize>,
    /// channel id -> (source slot, port)
    chan_out: HashMap<usize, (usize, usize)>,
    port_channels: HashMap<(usize, usize), u64>,
    sent: HashMap<(usize, usize), u64>,
    busy: Vec<u64>,
    /// Records pulled from the operator's input channels (receive-side Messages).
    recs_in: Vec<u64>,
    /// Records the operator processed (its own Text events): the records in of the metrics.
    processed: Vec<u64>,
    schedules: Vec<u64>,
    open: HashMap<usize, u64>,
    park_ns: u64,
    parked_at: Option<u64>,
    epoch_set: bool,
    debug: bool,
    pending: Vec<(usize, Vec<usize>, (usize, usize), (usize, usize))>,
}

impl Aggregator {
    pub fn new(shared: Arc<Shared>, local: usize) -> Self {
        let n = shared.op_names.len();
        Aggregator {
            shared,
            local,
            op_slot: HashMap::new(),
            addr_slot: HashMap::new(),
            chan_in: HashMap::new(),
            chan_out: HashMap::new(),
            port_channels: HashMap::new(),
            sent: HashMap::new(),
            busy: vec![0; n],
            recs_in: vec![0; n],
            processed: vec![0; n],
            schedules: vec![0; n],
            open: HashMap::new(),
            park_ns: 0,
            parked_at: None,
            epoch_set: false,
            pending: Vec::new(),
            debug: std::env::var_os("STREAMTUNE_TIMELY_DEBUG").is_some(),
        }
    }

    fn event(&mut self, t: u64, e: &TimelyEvent) {
        if self.debug && matches!(e, TimelyEvent::Operates(_) | TimelyEvent::Channels(_)) {
            eprintln!("worker {}: {:?}", self.local, e);
        }
        match e {
            TimelyEvent::Operates(o) => {
                if let Some(slot) = self.shared.op_names.iter().position(|n| *n == o.name) {
                    self.op_slot.insert(o.id, slot);
                    self.addr_slot.insert(o.addr.clone(), slot);
                    let pending = std::mem::take(&mut self.pending);
                    for c in pending {
                        self.channel(c);
                    }
                }
            }
            TimelyEvent::Channels(c) => self.channel((c.id, c.scope_addr.clone(), c.source, c.target)),
            TimelyEvent::Schedule(s) => {
                if let Some(&slot) = self.op_slot.get(&s.id) {
                    match s.start_stop {
                        StartStop::Start => {
                            self.open.insert(slot, t);
                        }
                        StartStop::Stop => {
                            if let Some(start) = self.open.remove(&slot) {
                                self.busy[slot] += t.saturating_sub(start);
                                self.schedules[slot] += 1;
                            }
                        }
                    }
                }
            }
            TimelyEvent::Messages(m) => {
                if m.record_count <= 0 {
                    return;
                }
                if m.is_send {
                    if let Some(&key) = self.chan_out.get(&m.channel) {
                        *self.sent.entry(key).or_insert(0) += m.record_count as u64;
                    }
                } else if let Some(&slot) = self.chan_in.get(&m.channel) {
                    self.recs_in[slot] += m.record_count as u64;
                }
            }
            TimelyEvent::Text(text) => {
                // "in:<operator>:<n>": n records processed by the operator (logged by dataflow::operator)
                if let Some(rest) = text.strip_prefix("in:") {
                    if let Some((name, n)) = rest.rsplit_once(':') {
                        if let (Some(slot), Ok(n)) = (self.shared.op_names.iter().position(|x| x == name), n.parse::<u64>()) {
                            self.processed[slot] += n;
                        }
                    }
                }
            }
            TimelyEvent::Park(p) => match p {
                timely::logging::ParkEvent::Park(_) => self.parked_at = Some(t),
                timely::logging::ParkEvent::Unpark => {
                    if let Some(at) = self.parked_at.take() {
                        self.park_ns += t.saturating_sub(at);
                    }
                }
            },
            _ => {}
        }
    }

    /// Maps a channel to its target and source operators; kept pending until both ends are known (a channel is
    /// logged when its consumer's input is built, before the consumer's own Operates event).
    fn channel(&mut self, c: (usize, Vec<usize>, (usize, usize), (usize, usize))) {
        let (id, scope, source, target) = c;
        let mut t = scope.clone();
        t.push(target.0);
        let mut s = scope.clone();
        s.push(source.0);
        let ts = self.addr_slot.get(&t).copied();
        let ss = self.addr_slot.get(&s).copied();
        if let Some(slot) = ts {
            self.chan_in.insert(id, slot);
        }
        if let Some(slot) = ss {
            if self.chan_out.insert(id, (slot, source.1)).is_none() {
                *self.port_channels.entry((slot, source.1)).or_insert(0) += 1;
            }
        }
        if ts.is_none() || ss.is_none() {
            self.pending.push((id, scope, source, target));
        }
    }

    fn publish(&mut self, now: u64) {
        let w = &self.shared.workers[self.local];
        if !self.epoch_set {
            let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
            w.epoch_unix_ms.store(unix.saturating_sub(now / 1_000_000), Relaxed);
            self.epoch_set = true;
        }
        let mut out = vec![0u64; self.busy.len()];
        for (&(slot, port), &n) in &self.sent {
            let k = self.port_channels.get(&(slot, port)).copied().unwrap_or(1).max(1);
            out[slot] += n / k;
        }
        for (slot, op) in w.ops.iter().enumerate() {
            let open = self.open.get(&slot).map(|&s| now.saturating_sub(s)).unwrap_or(0);
            op.busy_ns.store(self.busy[slot] + open, Relaxed);
            op.records_in.store(self.processed[slot], Relaxed);
            op.pulled.store(self.recs_in[slot], Relaxed);
            op.records_out.store(out[slot], Relaxed);
            op.schedules.store(self.schedules[slot], Relaxed);
        }
        let parked = self.parked_at.map(|s| now.saturating_sub(s)).unwrap_or(0);
        w.park_ns.store(self.park_ns + parked, Relaxed);
        w.as_of_ns.store(now, Relaxed);
    }

    /// The logging callback: `data` None is a flush at `time`.
    pub fn callback(&mut self, time: &Duration, data: &mut Option<Vec<(Duration, TimelyEvent)>>) {
        let mut now = time.as_nanos() as u64;
        if let Some(batch) = data {
            for (t, e) in batch.iter() {
                let t = t.as_nanos() as u64;
                now = now.max(t);
                self.event(t, e);
            }
        }
        self.publish(now);
    }
}
