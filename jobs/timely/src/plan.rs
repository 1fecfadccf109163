//! A job as a plan: sources and operators in topological order, each operator with its input edges (ship
//! strategy and share) and a factory for its per-worker logic. Nexmark queries (operator ids as
//! src/workloads/nexmark/templates.ts and jobs/flink's Queries) and the synthetic job from any JobSpec.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde::Deserialize;

use crate::cost::Cost;
use crate::dataflow::{Batch, Logic, Msg, Out, Time};
use crate::hashing::{mix, mix2, of_str, unit};
use crate::nexmark::{Event, Generator};

pub type KeyFn = Arc<dyn Fn(&Msg) -> u64 + Send + Sync>;

#[derive(Clone)]
pub enum Ship {
    /// Same worker (pipeline) when both ends run on the same workers, else spread by record.
    Forward,
    /// Spread by record over the consumer's workers (local when both ends run on all workers).
    Rebalance,
    /// By key over the consumer's workers.
    Hash(KeyFn),
}

#[derive(Clone)]
pub struct PlanEdge {
    pub from: String,
    pub ship: Ship,
}

pub type LogicFactory = Arc<dyn Fn() -> Box<dyn Logic> + Send + Sync>;

pub struct PlanSource {
    pub id: String,
    pub share: f64,
    pub make: Arc<dyn Fn(u64, u64) -> Msg + Send + Sync>,
    pub cost: Option<Cost>,
    /// Event ids of this source start at base (synthetic sources get disjoint id ranges).
    pub id_base: u64,
}

pub struct PlanOp {
    pub id: String,
    pub inputs: Vec<PlanEdge>,
    pub logic: LogicFactory,
    pub sink: bool,
}

pub enum Node {
    Source(PlanSource),
    Op(PlanOp),
}

impl Node {
    pub fn id(&self) -> &str {
        match self {
            Node::Source(s) => &s.id,
            Node::Op(o) => &o.id,
        }
    }
}

pub struct Plan {
    pub nodes: Vec<Node>,
}

impl Plan {
    pub fn op_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.id().to_owned()).collect()
    }
    pub fn source_names(&self) -> Vec<String> {
        self.nodes.iter().filter_map(|n| if let Node::Source(s) = n { Some(s.id.clone()) } else { None }).collect()
    }
}

// ------------------------------------------------------------------------------------------------------------
// Generic logics.

/// Stateless: each record to zero or more records at the same time.
pub struct Stateless<F: FnMut(Msg, &mut Vec<Msg>)>(pub F);

impl<F: FnMut(Msg, &mut Vec<Msg>)> Logic for Stateless<F> {
    fn on_batch(&mut self, _port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        let mut buf = Vec::new();
        for m in data.drain(..) {
            (self.0)(m, &mut buf);
            out.items.extend(buf.drain(..).map(|x| (time, x)));
        }
    }
}

fn stateless<F: FnMut(Msg, &mut Vec<Msg>) + 'static + Clone + Send + Sync>(f: F) -> LogicFactory {
    Arc::new(move || Box::new(Stateless(f.clone())) as Box<dyn Logic>)
}

/// q5 hotCount: bids counted per auction in sliding windows (size, slide) on event time, emitted as
/// (auction, count, window end) at the window end once the frontier passes it.
pub struct SlidingCount {
    size: u64,
    slide: u64,
    panes: BTreeMap<u64, HashMap<u64, u64>>,
    emitted_upto: u64,
}

impl Logic for SlidingCount {
    fn on_batch(&mut self, _port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        let pane = time - time % self.slide;
        let counts = self.panes.entry(pane).or_default();
        for m in data.drain(..) {
            if let Msg::Event(Event::Bid(b)) = m {
                *counts.entry(b.auction).or_insert(0) += 1;
            }
        }
        let mut e = pane + self.slide;
        while e <= pane + self.size {
            if e > self.emitted_upto {
                out.holds.push(e);
            }
            e += self.slide;
        }
    }
    fn on_frontier(&mut self, f: Time, out: &mut Out) {
        loop {
            let Some((&first, _)) = self.panes.iter().next() else { return };
            let e = (self.emitted_upto + self.slide).max(first + self.slide);
            if e > f {
                return;
            }
            let mut total: HashMap<u64, u64> = HashMap::new();
            for (_, counts) in self.panes.range(e.saturating_sub(self.size)..e) {
                for (&a, &c) in counts {
                    *total.entry(a).or_insert(0) += c;
                }
            }
            for (a, c) in total {
                out.items.push((e, Msg::Tup(a, c, e)));
            }
            self.emitted_upto = e;
            let drop_before = (e + self.slide).saturating_sub(self.size);
            self.panes.retain(|&p, _| p >= drop_before);
        }
    }
}

/// q5 maxCount / q7 globalMax: among (key, value, window end) records at time = window end, the largest value
/// with every key tied at it, emitted when the frontier passes the window end.
#[derive(Default)]
pub struct WindowMax {
    windows: BTreeMap<u64, (u64, Vec<u64>)>,
}

impl Logic for WindowMax {
    fn on_batch(&mut self, _port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        for m in data.drain(..) {
            if let Msg::Tup(k, v, _) = m {
                let w = self.windows.entry(time).or_insert((0, Vec::new()));
                if v > w.0 || w.1.is_empty() {
                    *w = (v, vec![k]);
                } else if v == w.0 {
                    w.1.push(k);
                }
            }
        }
        out.holds.push(time);
    }
    fn on_frontier(&mut self, f: Time, out: &mut Out) {
        while let Some((&t, _)) = self.windows.iter().next() {
            if t >= f {
                break;
            }
            let (v, ks) = self.windows.remove(&t).unwrap_or_default();
            for k in ks {
                out.items.push((t, Msg::Tup(k, v, t)));
            }
        }
    }
}

/// q7 preMax: per worker, the highest bid per tumbling window, as (auction, price, window end).
pub struct TumblingMax {
    size: u64,
    windows: BTreeMap<u64, (u64, u64)>,
}

impl Logic for TumblingMax {
    fn on_batch(&mut self, _port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        let end = time - time % self.size + self.size;
        let w = self.windows.entry(end).or_insert((0, 0));
        for m in data.drain(..) {
            if let Msg::Event(Event::Bid(b)) = m {
                if b.price >= w.0 {
                    *w = (b.price, b.auction);
                }
            }
        }
        out.holds.push(end);
    }
    fn on_frontier(&mut self, f: Time, out: &mut Out) {
        while let Some((&end, _)) = self.windows.iter().next() {
            if end > f {
                break;
            }
            let (price, auction) = self.windows.remove(&end).unwrap_or_default();
            out.items.push((end, Msg::Tup(auction, price, end)));
        }
    }
}

/// q3: incremental join of persons (port 0, by id) with auctions (port 1, by seller), emitting
/// (person id, auction id, person state) on either side's arrival.
#[derive(Default)]
pub struct IncrementalJoin {
    persons: HashMap<u64, u8>,
    pending: HashMap<u64, Vec<u64>>,
}

impl Logic for IncrementalJoin {
    fn on_batch(&mut self, port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        for m in data.drain(..) {
            match (port, m) {
                (0, Msg::Event(Event::Person(p))) => {
                    self.persons.insert(p.id, p.state);
                    if let Some(waiting) = self.pending.remove(&p.id) {
                        for a in waiting {
                            out.items.push((time, Msg::Tup(p.id, a, p.state as u64)));
                        }
                    }
                }
                (1, Msg::Event(Event::Auction(a))) => match self.persons.get(&a.seller) {
                    Some(&state) => out.items.push((time, Msg::Tup(a.seller, a.id, state as u64))),
                    None => self.pending.entry(a.seller).or_default().push(a.id),
                },
                _ => {}
            }
        }
    }
}

/// q8: persons (port 0) that opened an auction (port 1) in the same tumbling window (id = seller), emitting
/// (person id, name, reserve) as matches appear; a window's state is dropped when the frontier passes its end.
pub struct WindowJoin {
    size: u64,
    windows: BTreeMap<u64, (HashMap<u64, u32>, HashMap<u64, Vec<u64>>)>,
}

impl Logic for WindowJoin {
    fn on_batch(&mut self, port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        let start = time - time % self.size;
        let (persons, auctions) = self.windows.entry(start).or_default();
        for m in data.drain(..) {
            match (port, m) {
                (0, Msg::Event(Event::Person(p))) => {
                    persons.insert(p.id, p.name);
                    if let Some(waiting) = auctions.remove(&p.id) {
                        for r in waiting {
                            out.items.push((time, Msg::Tup(p.id, p.name as u64, r)));
                        }
                    }
                }
                (1, Msg::Event(Event::Auction(a))) => match persons.get(&a.seller) {
                    Some(&name) => out.items.push((time, Msg::Tup(a.seller, name as u64, a.reserve))),
                    None => auctions.entry(a.seller).or_default().push(a.reserve),
                },
                _ => {}
            }
        }
    }
    fn on_frontier(&mut self, f: Time, _out: &mut Out) {
        let size = self.size;
        self.windows.retain(|&start, _| start + size > f);
    }
}

/// q11: bids per bidder per session (gap on event time), emitted as (bidder, count, session end) when the
/// frontier passes the session's end.
pub struct Sessions {
    gap: u64,
    open: HashMap<u64, (u64, u64)>,
}

impl Logic for Sessions {
    fn on_batch(&mut self, _port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        for m in data.drain(..) {
            if let Msg::Event(Event::Bid(b)) = m {
                let s = self.open.entry(b.bidder).or_insert((time, 0));
                s.0 = s.0.max(time);
                s.1 += 1;
            }
        }
        out.holds.push(time + self.gap);
    }
    fn on_frontier(&mut self, f: Time, out: &mut Out) {
        let gap = self.gap;
        let mut closed = Vec::new();
        self.open.retain(|&bidder, &mut (last, count)| {
            if last + gap <= f {
                closed.push((last + gap, Msg::Tup(bidder, count, last + gap)));
                false
            } else {
                true
            }
        });
        out.items.extend(closed);
    }
}

/// q4 and q6 winningBid: bids (port 0, by auction) joined with auctions (port 1, by id); the highest bid with
/// a date in [auction date, expires] wins, emitted as (category, price, seller) once the frontier passes the
/// expiry (at the expiry rounded up to `step`, so that few distinct times are held). A bid that arrives before
/// its auction waits until the frontier passes the bid's time (by then every auction dated at or before it has
/// arrived); bids after an auction closed, or with no such auction, are dropped. Auctions without a bid in
/// their interval emit nothing (Nexmark's SQL join).
pub struct WinningBids {
    step: u64,
    open: HashMap<u64, OpenAuction>,
    closing: BTreeMap<u64, Vec<u64>>,
    early: HashMap<u64, Vec<(u64, u64)>>,
    early_by_time: BTreeMap<Time, Vec<u64>>,
}

struct OpenAuction {
    category: u64,
    seller: u64,
    date_time: u64,
    expires: u64,
    best: Option<u64>,
}

impl OpenAuction {
    fn offer(&mut self, date_time: u64, price: u64) {
        if date_time >= self.date_time && date_time <= self.expires && self.best.is_none_or(|b| price > b) {
            self.best = Some(price);
        }
    }
}

impl WinningBids {
    pub fn new(step: u64) -> Self {
        WinningBids { step: step.max(1), open: HashMap::new(), closing: BTreeMap::new(), early: HashMap::new(), early_by_time: BTreeMap::new() }
    }
}

impl Logic for WinningBids {
    fn on_batch(&mut self, port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        for m in data.drain(..) {
            match (port, m) {
                (0, Msg::Event(Event::Bid(b))) => match self.open.get_mut(&b.auction) {
                    Some(a) => a.offer(b.date_time, b.price),
                    None => {
                        self.early.entry(b.auction).or_default().push((b.date_time, b.price));
                        self.early_by_time.entry(time).or_default().push(b.auction);
                    }
                },
                (1, Msg::Event(Event::Auction(a))) => {
                    let mut open = OpenAuction { category: a.category, seller: a.seller, date_time: a.date_time, expires: a.expires, best: None };
                    for (d, p) in self.early.remove(&a.id).unwrap_or_default() {
                        open.offer(d, p);
                    }
                    let end = (a.expires / self.step + 1) * self.step;
                    self.closing.entry(end).or_default().push(a.id);
                    out.holds.push(end);
                    self.open.insert(a.id, open);
                }
                _ => {}
            }
        }
    }
    fn on_frontier(&mut self, f: Time, out: &mut Out) {
        while let Some((&end, _)) = self.closing.iter().next() {
            if end > f {
                break;
            }
            for id in self.closing.remove(&end).unwrap_or_default() {
                if let Some(OpenAuction { category, seller, best: Some(price), .. }) = self.open.remove(&id) {
                    out.items.push((end, Msg::Tup(category, price, seller)));
                }
            }
        }
        while let Some((&t, _)) = self.early_by_time.iter().next() {
            if t >= f {
                break;
            }
            for id in self.early_by_time.remove(&t).unwrap_or_default() {
                self.early.remove(&id);
            }
        }
    }
}

/// q4 average: per category (the key of (category, price, seller)), the running average of the winning prices,
/// emitted on every winning bid as (category, average, count).
#[derive(Default)]
pub struct CategoryAverage {
    sums: HashMap<u64, (u64, u64)>,
}

impl Logic for CategoryAverage {
    fn on_batch(&mut self, _port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        for m in data.drain(..) {
            if let Msg::Tup(category, price, _) = m {
                let s = self.sums.entry(category).or_insert((0, 0));
                s.0 += price;
                s.1 += 1;
                out.items.push((time, Msg::Tup(category, s.0 / s.1, s.1)));
            }
        }
    }
}

/// q6 sellerAvg: per seller (the third field of (category, price, seller)), the average of the winning prices of
/// its last `last` closed auctions, emitted on every winning bid as (seller, average, auctions averaged).
pub struct SellerAverage {
    last: usize,
    recent: HashMap<u64, VecDeque<u64>>,
}

impl Logic for SellerAverage {
    fn on_batch(&mut self, _port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        for m in data.drain(..) {
            if let Msg::Tup(_, price, seller) = m {
                let r = self.recent.entry(seller).or_default();
                if r.len() == self.last {
                    r.pop_front();
                }
                r.push_back(price);
                let avg = r.iter().sum::<u64>() / r.len() as u64;
                out.items.push((time, Msg::Tup(seller, avg, r.len() as u64)));
            }
        }
    }
}

/// A sink: counts (through the logging) and drops.
pub struct Discard;

impl Logic for Discard {
    fn on_batch(&mut self, _port: usize, _time: Time, data: &mut Batch, _out: &mut Out) {
        data.clear();
    }
}

// ------------------------------------------------------------------------------------------------------------
// Nexmark.

pub const NEXMARK_QUERIES: [&str; 10] = ["q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q11"];

fn op(id: &str, inputs: Vec<PlanEdge>, logic: LogicFactory) -> Node {
    Node::Op(PlanOp { id: id.to_owned(), inputs, logic, sink: id == "sink" })
}

fn edge(from: &str, ship: Ship) -> PlanEdge {
    PlanEdge { from: from.to_owned(), ship }
}

fn key(f: fn(&Msg) -> u64) -> Ship {
    Ship::Hash(Arc::new(f))
}

fn sink(from: &str) -> Node {
    op("sink", vec![edge(from, Ship::Rebalance)], Arc::new(|| Box::new(Discard) as Box<dyn Logic>))
}

fn bids(from: &str) -> Node {
    op(
        "bids",
        vec![edge(from, Ship::Rebalance)],
        stateless(|m: Msg, out: &mut Vec<Msg>| {
            if matches!(m, Msg::Event(Event::Bid(_))) {
                out.push(m)
            }
        }),
    )
}

pub fn nexmark(query: &str, seed: u64) -> Result<Plan, String> {
    let g = Generator::new(seed);
    let source = Node::Source(PlanSource {
        id: "source".into(),
        share: 1.0,
        make: Arc::new(move |id, ts| Msg::Event(g.next(id, ts))),
        cost: None,
        id_base: 0,
    });
    let tup2 = |m: &Msg| if let Msg::Tup(_, _, w) = m { *w } else { 0 };
    let nodes = match query {
        "q0" => vec![
            source,
            bids("source"),
            op("project", vec![edge("bids", Ship::Rebalance)], stateless(|m: Msg, out: &mut Vec<Msg>| out.push(m))),
            sink("project"),
        ],
        "q1" => vec![
            source,
            bids("source"),
            op(
                "currency",
                vec![edge("bids", Ship::Rebalance)],
                stateless(|m: Msg, out: &mut Vec<Msg>| {
                    if let Msg::Event(Event::Bid(mut b)) = m {
                        b.price = (b.price as f64 * 0.908) as u64;
                        out.push(Msg::Event(Event::Bid(b)));
                    }
                }),
            ),
            sink("currency"),
        ],
        "q2" => vec![
            source,
            op(
                "select",
                vec![edge("source", Ship::Rebalance)],
                stateless(|m: Msg, out: &mut Vec<Msg>| {
                    if let Msg::Event(Event::Bid(b)) = &m {
                        if b.auction % 123 == 0 {
                            out.push(m)
                        }
                    }
                }),
            ),
            op(
                "project",
                vec![edge("select", Ship::Rebalance)],
                stateless(|m: Msg, out: &mut Vec<Msg>| {
                    if let Msg::Event(Event::Bid(b)) = m {
                        out.push(Msg::Tup(b.auction, b.price, 0))
                    }
                }),
            ),
            sink("project"),
        ],
        "q3" | "q8" => {
            let q3 = query == "q3";
            let persons = stateless(move |m: Msg, out: &mut Vec<Msg>| {
                if let Msg::Event(Event::Person(p)) = &m {
                    // q3: persons in OR, ID, CA (indices 3, 2, 1 of US_STATES)
                    if !q3 || matches!(p.state, 1..=3) {
                        out.push(m)
                    }
                }
            });
            let auctions = stateless(move |m: Msg, out: &mut Vec<Msg>| {
                if let Msg::Event(Event::Auction(a)) = &m {
                    if !q3 || a.category == 10 {
                        out.push(m)
                    }
                }
            });
            let person_id = |m: &Msg| if let Msg::Event(Event::Person(p)) = m { p.id } else { 0 };
            let seller = |m: &Msg| if let Msg::Event(Event::Auction(a)) = m { a.seller } else { 0 };
            let join: LogicFactory = if q3 {
                Arc::new(|| Box::new(IncrementalJoin::default()) as Box<dyn Logic>)
            } else {
                Arc::new(|| Box::new(WindowJoin { size: 10_000, windows: BTreeMap::new() }) as Box<dyn Logic>)
            };
            vec![
                source,
                op("persons", vec![edge("source", Ship::Rebalance)], persons),
                op("auctions", vec![edge("source", Ship::Rebalance)], auctions),
                op("join", vec![edge("persons", key(person_id)), edge("auctions", key(seller))], join),
                sink("join"),
            ]
        }
        "q4" | "q6" => {
            let q4 = query == "q4";
            let auctions = stateless(|m: Msg, out: &mut Vec<Msg>| {
                if matches!(m, Msg::Event(Event::Auction(_))) {
                    out.push(m)
                }
            });
            let auction_of_bid = |m: &Msg| if let Msg::Event(Event::Bid(b)) = m { b.auction } else { 0 };
            let auction_id = |m: &Msg| if let Msg::Event(Event::Auction(a)) = m { a.id } else { 0 };
            let (id, by, aggregate): (&str, fn(&Msg) -> u64, LogicFactory) = if q4 {
                ("average", |m| if let Msg::Tup(c, _, _) = m { *c } else { 0 }, Arc::new(|| Box::new(CategoryAverage::default()) as Box<dyn Logic>))
            } else {
                (
                    "sellerAvg",
                    |m| if let Msg::Tup(_, _, s) = m { *s } else { 0 },
                    Arc::new(|| Box::new(SellerAverage { last: 10, recent: HashMap::new() }) as Box<dyn Logic>),
                )
            };
            vec![
                source,
                bids("source"),
                op("auctions", vec![edge("source", Ship::Rebalance)], auctions),
                op(
                    "winningBid",
                    vec![edge("bids", key(auction_of_bid)), edge("auctions", key(auction_id))],
                    Arc::new(|| Box::new(WinningBids::new(1_000)) as Box<dyn Logic>),
                ),
                op(id, vec![edge("winningBid", key(by))], aggregate),
                sink(id),
            ]
        }
        "q5" => vec![
            source,
            bids("source"),
            op(
                "hotCount",
                vec![edge("bids", key(|m| if let Msg::Event(Event::Bid(b)) = m { b.auction } else { 0 }))],
                Arc::new(|| Box::new(SlidingCount { size: 10_000, slide: 2_000, panes: BTreeMap::new(), emitted_upto: 0 }) as Box<dyn Logic>),
            ),
            op("maxCount", vec![edge("hotCount", key(tup2))], Arc::new(|| Box::new(WindowMax::default()) as Box<dyn Logic>)),
            sink("maxCount"),
        ],
        "q7" => vec![
            source,
            bids("source"),
            op(
                "preMax",
                vec![edge("bids", Ship::Forward)],
                Arc::new(|| Box::new(TumblingMax { size: 10_000, windows: BTreeMap::new() }) as Box<dyn Logic>),
            ),
            op("globalMax", vec![edge("preMax", key(tup2))], Arc::new(|| Box::new(WindowMax::default()) as Box<dyn Logic>)),
            sink("globalMax"),
        ],
        "q11" => vec![
            source,
            bids("source"),
            op(
                "sessions",
                vec![edge("bids", key(|m| if let Msg::Event(Event::Bid(b)) = m { b.bidder } else { 0 }))],
                Arc::new(|| Box::new(Sessions { gap: 10_000, open: HashMap::new() }) as Box<dyn Logic>),
            ),
            sink("sessions"),
        ],
        _ => return Err(format!("unknown query '{}'; known: {}", query, NEXMARK_QUERIES.join(", "))),
    };
    Ok(Plan { nodes })
}

// ------------------------------------------------------------------------------------------------------------
// The synthetic job from a JobSpec (src/core/job.ts).

#[derive(Deserialize)]
struct SpecOp {
    id: String,
    #[serde(rename = "type")]
    typ: String,
    cost: Option<f64>,
    selectivity: Option<f64>,
    partitioning: Option<String>,
    #[serde(rename = "keySkew")]
    key_skew: Option<f64>,
    #[serde(rename = "rateShare")]
    rate_share: Option<f64>,
}

#[derive(Deserialize)]
struct SpecEdge {
    from: String,
    to: String,
    ship: Option<String>,
    share: Option<f64>,
}

#[derive(Deserialize)]
struct Spec {
    operators: Vec<SpecOp>,
    edges: Vec<SpecEdge>,
}

pub struct SyntheticOptions {
    pub wait_fraction: f64,
    pub park_threshold_us: f64,
    pub keys: u64,
}

/// Whether a record passes an edge's share (decided by record, so deterministic).
fn passes(seq: u64, salt: u64, share: f64) -> bool {
    share >= 1.0 || unit(mix2(seq, salt)) < share
}

/// Key of a record on a hash edge into operator `salt`: the hot key 0 with probability skew, else uniform.
fn synth_key(seq: u64, skew: f64, keys: u64, salt: u64) -> u64 {
    let h = mix2(seq, salt);
    if unit(h) < skew {
        0
    } else {
        1 + mix(h) % keys.max(1)
    }
}

/// A synthetic operator: drops records beyond each input edge's share, pays its cost per record, keeps a
/// per-key count when keyed, and emits `selectivity` records per input (fractions decided by record).
struct SynthOp {
    cost: Cost,
    selectivity: f64,
    me: u64,
    /// Per input port: (share, salt).
    shares: Vec<(f64, u64)>,
    keyed: Option<(f64, u64)>,
    counts: HashMap<u64, u64>,
}

impl Logic for SynthOp {
    fn on_batch(&mut self, port: usize, time: Time, data: &mut Batch, out: &mut Out) {
        let (share, salt) = self.shares.get(port).copied().unwrap_or((1.0, 0));
        for m in data.drain(..) {
            let Msg::Syn(seq, _) = m else { continue };
            if !passes(seq, salt, share) {
                continue;
            }
            self.cost.pay();
            if let Some((skew, keys)) = self.keyed {
                *self.counts.entry(synth_key(seq, skew, keys, self.me)).or_insert(0) += 1;
            }
            let whole = self.selectivity.floor();
            let mut copies = whole as u64;
            let frac = self.selectivity - whole;
            if frac > 0.0 && unit(mix2(seq, self.me)) < frac {
                copies += 1;
            }
            for i in 0..copies {
                let s = if i == 0 { seq } else { mix2(seq, self.me.wrapping_add(i)) };
                out.items.push((time, Msg::Syn(s, self.me)));
            }
        }
    }
}

fn default_partitioning(typ: &str) -> &'static str {
    if typ == "keyedAggregate" || typ == "window" || typ == "join" {
        "hash"
    } else {
        "forward"
    }
}

pub fn synthetic(spec_json: &str, o: &SyntheticOptions) -> Result<Plan, String> {
    let spec: Spec = serde_json::from_str(spec_json).map_err(|e| format!("bad --spec: {}", e))?;
    let by_id: HashMap<&str, &SpecOp> = spec.operators.iter().map(|op| (op.id.as_str(), op)).collect();
    if by_id.len() != spec.operators.len() {
        return Err("duplicate operator id in --spec".into());
    }
    for e in &spec.edges {
        if !by_id.contains_key(e.from.as_str()) || !by_id.contains_key(e.to.as_str()) {
            return Err(format!("edge {} -> {}: unknown operator", e.from, e.to));
        }
    }
    // topological order
    let mut indeg: HashMap<&str, usize> = spec.operators.iter().map(|op| (op.id.as_str(), 0)).collect();
    for e in &spec.edges {
        *indeg.get_mut(e.to.as_str()).unwrap() += 1;
    }
    let mut order: Vec<&str> = Vec::new();
    let mut ready: Vec<&str> = spec.operators.iter().filter(|op| indeg[op.id.as_str()] == 0).map(|op| op.id.as_str()).collect();
    ready.reverse();
    let mut seen = HashSet::new();
    while let Some(id) = ready.pop() {
        order.push(id);
        seen.insert(id);
        for e in spec.edges.iter().filter(|e| e.from == id) {
            let d = indeg.get_mut(e.to.as_str()).unwrap();
            *d -= 1;
            if *d == 0 {
                ready.insert(0, e.to.as_str());
            }
        }
    }
    if order.len() != spec.operators.len() {
        return Err("the synthetic job has a cycle".into());
    }
    let share_sum: f64 = spec.operators.iter().filter(|op| op.typ == "source").map(|op| op.rate_share.unwrap_or(1.0)).sum();
    if !(share_sum > 0.0) {
        return Err("the synthetic job has no source with a positive rateShare".into());
    }
    let mut nodes = Vec::new();
    let mut source_index = 0u64;
    for id in order {
        let op = by_id[id];
        let cost_us = op.cost.unwrap_or(10.0);
        let me = of_str(&op.id);
        let inputs: Vec<&SpecEdge> = spec.edges.iter().filter(|e| e.to == op.id).collect();
        if op.typ == "source" {
            if !inputs.is_empty() {
                return Err(format!("source '{}' has inputs", op.id));
            }
            let base = source_index << 48;
            source_index += 1;
            nodes.push(Node::Source(PlanSource {
                id: op.id.clone(),
                share: op.rate_share.unwrap_or(1.0) / share_sum,
                make: Arc::new(move |id, _ts| Msg::Syn(base | id, me)),
                cost: if cost_us > 0.0 { Some(Cost::new(cost_us, o.wait_fraction, o.park_threshold_us)) } else { None },
                id_base: 0,
            }));
            continue;
        }
        if inputs.is_empty() {
            return Err(format!("operator '{}' has no input", op.id));
        }
        let partitioning = op.partitioning.clone().unwrap_or_else(|| default_partitioning(&op.typ).to_owned());
        let skew = op.key_skew.unwrap_or(0.0);
        let keys = o.keys;
        let keyed = partitioning == "hash";
        let mut edges = Vec::new();
        let mut shares = Vec::new();
        for e in &inputs {
            let ship_name = if keyed { "hash".to_owned() } else { e.ship.clone().unwrap_or_else(|| partitioning.clone()) };
            let ship = match ship_name.as_str() {
                "forward" => Ship::Forward,
                "rebalance" | "broadcast" => Ship::Rebalance,
                "hash" => Ship::Hash(Arc::new(move |m: &Msg| if let Msg::Syn(s, _) = m { synth_key(*s, skew, keys, me) } else { 0 })),
                other => return Err(format!("unknown ship strategy '{}'", other)),
            };
            edges.push(PlanEdge { from: e.from.clone(), ship });
            shares.push((e.share.unwrap_or(1.0), mix2(of_str(&e.from), me)));
        }
        let selectivity = op.selectivity.unwrap_or(if op.typ == "sink" { 0.0 } else { 1.0 });
        let cost = Cost::new(cost_us, o.wait_fraction, o.park_threshold_us);
        let keyed_logic = if keyed { Some((skew, keys)) } else { None };
        let logic: LogicFactory = Arc::new(move || {
            Box::new(SynthOp { cost: cost.clone(), selectivity, me, shares: shares.clone(), keyed: keyed_logic, counts: HashMap::new() }) as Box<dyn Logic>
        });
        nodes.push(Node::Op(PlanOp { id: op.id.clone(), inputs: edges, logic, sink: op.typ == "sink" || !spec.edges.iter().any(|e| e.from == op.id) }));
    }
    Ok(Plan { nodes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::{Auction, Bid};

    fn auction(id: u64, seller: u64, category: u64, date_time: u64, expires: u64) -> Msg {
        Msg::Event(Event::Auction(Auction { id, seller, category, initial_bid: 1, reserve: 2, date_time, expires }))
    }

    fn bid(auction: u64, price: u64, date_time: u64) -> Msg {
        Msg::Event(Event::Bid(Bid { auction, bidder: 1, price, channel: 0, date_time }))
    }

    #[test]
    fn the_highest_bid_in_the_interval_wins_at_expiry() {
        let mut w = WinningBids::new(1_000);
        let mut out = Out::default();
        // a bid that arrives before its auction (same time) still counts; one dated before the auction does not
        w.on_batch(0, 1_000, &mut vec![bid(7, 50, 1_200), bid(7, 900, 1_000)], &mut out);
        w.on_batch(1, 1_000, &mut vec![auction(7, 3, 12, 1_100, 4_500)], &mut out);
        assert_eq!(out.holds, vec![5_000]);
        w.on_batch(0, 2_000, &mut vec![bid(7, 80, 2_000), bid(7, 70, 2_100), bid(8, 1_000, 2_100)], &mut out);
        w.on_batch(0, 4_000, &mut vec![bid(7, 999, 4_501)], &mut out); // after expiry
        w.on_frontier(4_900, &mut out);
        assert!(out.items.is_empty(), "nothing before the frontier passes the expiry");
        w.on_frontier(5_000, &mut out);
        assert_eq!(out.items.len(), 1);
        match &out.items[0] {
            (5_000, Msg::Tup(12, 80, 3)) => {}
            other => panic!("unexpected {:?}", other),
        }
        // the auction is closed; the early bid for auction 8 was dropped once the frontier passed it
        assert!(w.open.is_empty());
        assert!(w.early.is_empty());
    }

    #[test]
    fn averages_per_category_and_over_the_last_ten_auctions_per_seller() {
        let mut c = CategoryAverage::default();
        let mut out = Out::default();
        c.on_batch(0, 0, &mut vec![Msg::Tup(10, 100, 1), Msg::Tup(11, 7, 1), Msg::Tup(10, 300, 2)], &mut out);
        let last = |out: &Out| match out.items.last() {
            Some((_, Msg::Tup(k, v, n))) => (*k, *v, *n),
            _ => panic!("no output"),
        };
        assert_eq!(last(&out), (10, 200, 2));
        let mut s = SellerAverage { last: 10, recent: HashMap::new() };
        let mut out = Out::default();
        for p in 1..=12u64 {
            s.on_batch(0, 0, &mut vec![Msg::Tup(10, p * 10, 5)], &mut out);
        }
        // the last ten of 10..120 are 30..120: average 75
        assert_eq!(last(&out), (5, 75, 10));
    }
}
