//! The generic pieces every job is built from: one record type (Msg), a parallelization contract that is either
//! the local pipeline or a routed exchange, one operator shape (any number of inputs, one output, logic over
//! batches and the input frontier), and the paced source with flow control.
//!
//! Every harness operator is exactly one timely operator named after its harness id, so the logging names map
//! one-to-one (no helper operators: routing is done by the consumer's input pact, not by `.exchange()`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use timely::communication::{Pull, Push};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::{Exchange, LogPuller, LogPusher, ParallelizationContract};
use timely::dataflow::channels::Message;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::generic::OutputBuilder;
use timely::dataflow::operators::Capability;
use timely::dataflow::{ProbeHandle, Scope, Stream};
use timely::logging::{TimelyEvent, TimelyLogger};
use timely::progress::frontier::MutableAntichain;
use timely::worker::Worker;

use crate::hashing::{mix, mix2};
use crate::nexmark::Event;
use crate::stats::{store_f64, Shared};

/// Event time in ms, in steps of the epoch granularity (window ends are multiples of it).
pub type Time = u64;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    Event(Event),
    /// (key, value, window end or extra)
    Tup(u64, u64, u64),
    /// A synthetic record: a unique sequence number and the hash of the operator that emitted it.
    Syn(u64, u64),
}

impl Msg {
    /// A hash unique enough to spread records that have no key (rebalance across a subset of workers).
    pub fn uid(&self) -> u64 {
        match self {
            Msg::Event(Event::Bid(b)) => mix2(b.auction ^ (b.bidder << 20), b.date_time ^ (b.price << 17)),
            Msg::Event(Event::Person(p)) => mix(p.id),
            Msg::Event(Event::Auction(a)) => mix(a.id),
            Msg::Tup(a, b, c) => mix2(*a, mix2(*b, *c)),
            Msg::Syn(s, _) => mix(*s),
        }
    }
}

pub type Batch = Vec<Msg>;

// ------------------------------------------------------------------------------------------------------------
// Parallelization contract: the local pipeline, or an exchange routed by a function of the record.

pub type RouteFn = Box<dyn FnMut(&Msg) -> u64>;

pub enum Pact {
    Local,
    Route(RouteFn),
}

impl ParallelizationContract<Time, Batch> for Pact {
    type Pusher = Box<dyn Push<Message<Time, Batch>>>;
    type Puller = LogPuller<Box<dyn Pull<Message<Time, Batch>>>>;
    fn connect(self, worker: &Worker, identifier: usize, address: Rc<[usize]>, logging: Option<TimelyLogger>) -> (Self::Pusher, Self::Puller) {
        match self {
            Pact::Local => {
                let (pusher, puller) = worker.pipeline::<Message<Time, Batch>>(identifier, address);
                let pusher: Box<dyn Push<Message<Time, Batch>>> =
                    Box::new(LogPusher::new(pusher, worker.index(), worker.index(), identifier, logging.clone()));
                let puller: Box<dyn Pull<Message<Time, Batch>>> = Box::new(puller);
                (pusher, LogPuller::new(puller, worker.index(), identifier, logging))
            }
            Pact::Route(f) => {
                let pact = Exchange::new(f);
                let (pusher, puller) = <_ as ParallelizationContract<Time, Batch>>::connect(pact, worker, identifier, address, logging);
                (Box::new(pusher), puller)
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------------------
// Operator logic.

/// Where logic puts its output: records with their times (at or after the input time), and times at which it
/// will emit later (capabilities are held for them until `on_frontier` says it is done).
#[derive(Default)]
pub struct Out {
    pub items: Vec<(Time, Msg)>,
    pub holds: Vec<Time>,
}

pub trait Logic {
    /// A batch of records at `time` on input `port`.
    fn on_batch(&mut self, port: usize, time: Time, data: &mut Batch, out: &mut Out);
    /// The input frontier advanced to `frontier` (u64::MAX when every input closed): emit what is complete,
    /// at held times. Afterwards the capabilities held for times before the frontier are released, so every
    /// later emission must be at a time it asked to hold.
    fn on_frontier(&mut self, _frontier: Time, _out: &mut Out) {}
}

pub struct Input<'s> {
    pub stream: Stream<'s, Time, Batch>,
    pub pact: Pact,
}

/// How long one activation of an operator may work before it yields (the rest of its input waits in a stash and
/// the operator re-activates itself), in microseconds. Bounds how long a worker goes without returning to its
/// loop, where the logging buffer is flushed: metrics stay fresh and other operators get scheduled.
pub static SLICE_US: AtomicU64 = AtomicU64::new(10_000);

/// Builds one harness operator as one timely operator named `name`.
pub fn operator<'s>(scope: Scope<'s, Time>, name: &str, inputs: Vec<Input<'s>>, mut logic: Box<dyn Logic>) -> Stream<'s, Time, Batch> {
    let mut builder = OperatorBuilder::new(name.to_owned(), scope);
    let activator = scope.activator_for(builder.operator_info().address.clone());
    let logger: Option<TimelyLogger> = scope.worker().logging();
    let processed_tag = format!("in:{}:", name);
    let mut handles = Vec::new();
    for i in inputs {
        handles.push(builder.new_input(i.stream, i.pact));
    }
    let (output, stream) = builder.new_output::<Batch>();
    let mut output: OutputBuilder<Time, CapacityContainerBuilder<Batch>> = OutputBuilder::from(output);
    builder.build(move |mut caps| {
        drop(caps.pop());
        let mut held: BTreeMap<Time, Capability<Time>> = BTreeMap::new();
        let mut stash: VecDeque<(usize, Capability<Time>, Batch)> = VecDeque::new();
        let mut out = Out::default();
        let mut last_frontier: Option<Time> = None;
        // estimated ns per record, to size chunks so that a slice is not overrun by much
        let mut per_record_ns: f64 = 200.0;
        move |frontiers: &[MutableAntichain<Time>]| {
            let slice = Duration::from_micros(SLICE_US.load(Relaxed));
            let started = Instant::now();
            for (port, input) in handles.iter_mut().enumerate() {
                input.for_each(|cap, data| stash.push_back((port, cap.retain(0), std::mem::take(data))));
            }
            let mut output = output.activate();
            'work: while let Some((port, cap, mut data)) = stash.pop_front() {
                let t = *cap.time();
                loop {
                    let left = slice.saturating_sub(started.elapsed()).as_nanos() as f64;
                    let n = ((left / per_record_ns) as usize).clamp(1, 4096).min(data.len());
                    let mut part: Batch = if n == data.len() { std::mem::take(&mut data) } else { data.drain(..n).collect() };
                    let t0 = Instant::now();
                    logic.on_batch(port, t, &mut part, &mut out);
                    let ns = t0.elapsed().as_nanos() as f64 / n.max(1) as f64;
                    if let Some(l) = logger.as_ref() {
                        // records in are counted when processed, on the logging clock (stashed records were
                        // pulled, i.e. seen by the receive-side Messages events, but are not processed yet)
                        l.log(TimelyEvent::Text(format!("{}{}", processed_tag, n)));
                    }
                    per_record_ns = (0.8 * per_record_ns + 0.2 * ns).max(10.0);
                    for h in out.holds.drain(..) {
                        held.entry(h).or_insert_with(|| cap.delayed(&h));
                    }
                    if !out.items.is_empty() {
                        let mut session = output.session(&cap);
                        let mut later = Vec::new();
                        for (time, m) in out.items.drain(..) {
                            if time == t {
                                session.give(m);
                            } else {
                                later.push((time, m));
                            }
                        }
                        drop(session);
                        for (time, m) in later {
                            let c = held.get(&time).cloned().unwrap_or_else(|| cap.delayed(&time));
                            output.session(&c).give(m);
                        }
                    }
                    if data.is_empty() {
                        break;
                    }
                    if started.elapsed() >= slice {
                        stash.push_front((port, cap, data));
                        break 'work;
                    }
                }
                if started.elapsed() >= slice {
                    break;
                }
            }
            if !stash.is_empty() {
                activator.activate();
            }
            // the frontier as far as the logic is concerned: stashed records are still to come
            let input_f = frontiers.iter().map(|f| f.frontier().iter().min().copied().unwrap_or(Time::MAX)).min().unwrap_or(Time::MAX);
            let f = stash.iter().map(|(_, c, _)| *c.time()).min().map_or(input_f, |s| s.min(input_f));
            if last_frontier != Some(f) {
                last_frontier = Some(f);
                logic.on_frontier(f, &mut out);
                for (time, m) in out.items.drain(..) {
                    // a capability held at or before `time`
                    let c = match held.range(..=time).next_back() {
                        Some((_, c)) => c.delayed(&time),
                        None => panic!("operator emitted at {} without a held capability", time),
                    };
                    output.session(&c).give(m);
                }
                held.retain(|t, _| *t >= f);
            }
        }
    });
    stream
}

// ------------------------------------------------------------------------------------------------------------
// The paced source.

pub type MakeFn = Box<dyn Fn(u64, u64) -> Msg>;

pub struct SourceSpec {
    /// Index of this source among the job's sources (stats slot).
    pub slot: usize,
    /// Share of the job's total rate.
    pub share: f64,
    /// This worker's rank among the workers that emit for this source, and their number (None: not one of them).
    pub rank: Option<(usize, usize)>,
    pub first_id: u64,
    /// Wall ms (unix) of the first event due (resume), or None for now.
    pub start_cursor_ms: Option<f64>,
    pub epoch_ms: u64,
    /// Flow control: the source waits while the job's output frontier is more than this far behind it.
    pub max_in_flight_ms: u64,
    pub make: MakeFn,
    /// CPU/wait cost per emitted record.
    pub cost: Option<crate::cost::Cost>,
}

fn unix_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64() * 1000.0
}

const MAX_BATCH: usize = 4096;
/// The source sleeps at least this long when nothing is due, so that batches are not single events.
const MIN_WAIT_MS: f64 = 2.0;
const MAX_SLICE: Duration = Duration::from_millis(2);

pub fn source<'s>(scope: Scope<'s, Time>, name: &str, spec: SourceSpec, probe: ProbeHandle<Time>, shared: Arc<Shared>, local: usize) -> Stream<'s, Time, Batch> {
    let mut builder = OperatorBuilder::new(name.to_owned(), scope);
    let info = builder.operator_info();
    let activator = scope.activator_for(info.address.clone());
    let (output, stream) = builder.new_output::<Batch>();
    let mut output: OutputBuilder<Time, CapacityContainerBuilder<Batch>> = OutputBuilder::from(output);
    builder.build(move |mut caps| {
        let mut cap = caps.pop();
        let slot = spec.slot;
        let (rank, k) = spec.rank.unwrap_or((0, 0));
        let active = spec.rank.is_some();
        shared.workers[local].sources[slot].active.store(active, std::sync::atomic::Ordering::Relaxed);
        if !active {
            cap = None; // this worker emits nothing for this source
        }
        let mut cost = spec.cost.clone();
        let mut next_id = spec.first_id + rank as u64;
        // The pacing cursor is kept relative to a base near now: an absolute unix-ms f64 (~1.8e12) has a
        // resolution of 2.4e-4 ms, which would round a 1.1e-3 ms interval (900K events/s) to 1.2e-3 ms.
        let base = unix_ms().floor();
        let now_rel = move || unix_ms() - base;
        let mut cursor = spec.start_cursor_ms.map(|c| c - base).unwrap_or_else(now_rel);
        let mut emitted: u64 = 0;
        let mut blocked_ns: u64 = 0;
        let mut blocked_since: Option<Instant> = None;
        let epoch_of = move |rel: f64| -> Time {
            let ms = (base + rel).max(0.0) as u64;
            ms - ms % spec.epoch_ms
        };
        shared.workers[local].sources[slot].next_id.store(next_id, std::sync::atomic::Ordering::Relaxed);
        store_f64(&shared.workers[local].sources[slot].cursor_ms, base + cursor);
        if let Some(c) = cap.as_mut() {
            c.downgrade(&epoch_of(cursor));
        }
        activator.activate();
        move |_frontiers: &[MutableAntichain<Time>]| {
            let Some(c) = cap.as_mut() else { return };
            let stats = &shared.workers[local].sources[slot];
            let rate = shared.rate() * spec.share / k as f64;
            store_f64(&stats.rate, rate);
            let now = now_rel();
            if !(rate > 0.0) {
                // nothing is due at rate 0: keep the cursor at the present so that no backlog builds up
                cursor = cursor.max(now);
                c.downgrade(&epoch_of(cursor));
                store_f64(&stats.cursor_ms, base + cursor);
                activator.activate_after(Duration::from_millis(20));
                return;
            }
            let here = epoch_of(cursor);
            // blocked time is published as it accrues (every activation), not only once unblocked
            if let Some(since) = blocked_since.take() {
                blocked_ns += since.elapsed().as_nanos() as u64;
                stats.blocked_ns.store(blocked_ns, std::sync::atomic::Ordering::Relaxed);
            }
            if probe.less_than(&here.saturating_sub(spec.max_in_flight_ms)) {
                blocked_since = Some(Instant::now());
                activator.activate_after(Duration::from_millis(1));
                return;
            }
            let interval = 1000.0 / rate;
            let started = Instant::now();
            let mut n = 0;
            let mut out = output.activate();
            while cursor <= now && n < MAX_BATCH {
                let epoch = epoch_of(cursor);
                if epoch > *c.time() {
                    c.downgrade(&epoch);
                }
                let mut session = out.session(&*c);
                while cursor <= now && n < MAX_BATCH && epoch_of(cursor) == epoch {
                    if let Some(cost) = cost.as_mut() {
                        cost.pay();
                    }
                    session.give((spec.make)(next_id, (base + cursor) as u64));
                    next_id += k as u64;
                    cursor += interval;
                    n += 1;
                    if n % 256 == 0 && started.elapsed() > MAX_SLICE {
                        break;
                    }
                }
                drop(session);
                if started.elapsed() > MAX_SLICE {
                    break;
                }
            }
            drop(out);
            emitted += n as u64;
            let e = epoch_of(cursor);
            if e > *c.time() {
                c.downgrade(&e);
            }
            stats.emitted.store(emitted, std::sync::atomic::Ordering::Relaxed);
            stats.next_id.store(next_id, std::sync::atomic::Ordering::Relaxed);
            store_f64(&stats.cursor_ms, base + cursor);
            if cursor <= now_rel() {
                activator.activate();
            } else {
                // wake when a few ms of events are due, not for every event (as jobs/flink's reader)
                let wait = (cursor - now_rel()).clamp(MIN_WAIT_MS, 20.0);
                activator.activate_after(Duration::from_micros((wait * 1000.0) as u64));
            }
        }
    });
    stream
}
