//! StreamTune Lab's Timely Dataflow job runner: a Nexmark query or a synthetic JobSpec on W timely workers,
//! per-operator metrics from timely's logging, controlled over stdin and reporting on stdout (JSON lines).
//!
//!   streamtune-timely --job nexmark --query q5 --workers 4 --rate 50000
//!   streamtune-timely --job synthetic --spec '{"operators":[...],"edges":[...]}' --placement '{"map":2}'
//!
//! stdin, one JSON object a line: {"rate": r} sets the job's total target rate (records/s, all processes);
//! {"sample": n} answers one line of cumulative counters; {"stop": true} answers a last sample and exits.
//! The process exits when stdin closes, so a killed harness leaves nothing running. stdout: first
//! {"event":"ready",...} once every local worker has built the dataflow, then one line per sample.
//!
//! Parallelism: --workers W threads per process (x --processes N with --process p and --hosts a:p,b:q or
//! --hostfile for a multi-process run, on one machine or several). Without --placement every operator runs on every worker (worker-count mode); with
//! --placement {"op": k, ...} operator op is confined to k workers (its exchange routes to base..base+k), the
//! bases staggered in plan order so that operators spread over the workers.

mod cost;
mod dataflow;
mod hashing;
mod logging;
mod nexmark;
mod plan;
mod stats;

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{json, Value};
use timely::dataflow::operators::Probe;
use timely::dataflow::{ProbeHandle, Stream};
use timely::logging::TimelyEventBuilder;

use dataflow::{Input, Pact, SourceSpec, Time, Batch};
use plan::{Node, Plan, Ship};
use stats::{load_f64, Shared};

struct Args {
    map: HashMap<String, String>,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut map = HashMap::new();
        let mut it = std::env::args().skip(1);
        while let Some(k) = it.next() {
            let Some(name) = k.strip_prefix("--") else { return Err(format!("unexpected argument '{}'", k)) };
            let v = it.next().ok_or_else(|| format!("--{} needs a value", name))?;
            map.insert(name.to_owned(), v);
        }
        Ok(Args { map })
    }
    fn str(&self, k: &str) -> Option<&str> {
        self.map.get(k).map(|s| s.as_str())
    }
    fn num<T: std::str::FromStr>(&self, k: &str, d: T) -> Result<T, String> {
        match self.map.get(k) {
            None => Ok(d),
            Some(v) => v.parse().map_err(|_| format!("--{}: not a number: '{}'", k, v)),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
struct Resume {
    #[serde(rename = "nextId")]
    next_id: u64,
    #[serde(rename = "cursorMs")]
    cursor_ms: Option<f64>,
}

struct Job {
    kind: String,
    query: String,
    spec: String,
    seed: u64,
    synth: plan::SyntheticOptions,
}

impl Job {
    fn plan(&self) -> Result<Plan, String> {
        if self.kind == "nexmark" {
            plan::nexmark(&self.query, self.seed)
        } else if self.kind == "synthetic" {
            plan::synthetic(&self.spec, &self.synth)
        } else {
            Err(format!("--job must be nexmark or synthetic, got '{}'", self.kind))
        }
    }
}

/// Workers an operator runs on: (base, k) out of `peers`.
fn placement_of(placement: &Option<HashMap<String, usize>>, plan: &Plan, peers: usize) -> HashMap<String, (usize, usize)> {
    let mut out = HashMap::new();
    let mut next = 0usize;
    for n in &plan.nodes {
        let id = n.id().to_owned();
        match placement {
            None => {
                out.insert(id, (0, peers));
            }
            Some(p) => {
                let k = p.get(&id).copied().unwrap_or(peers).clamp(1, peers);
                let base = if k == peers { 0 } else { next % peers };
                next += k;
                out.insert(id, (base, k));
            }
        }
    }
    out
}

fn rank_of(index: usize, (base, k): (usize, usize), peers: usize) -> Option<(usize, usize)> {
    let r = (index + peers - base) % peers;
    if r < k { Some((r, k)) } else { None }
}

fn unix_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64() * 1000.0
}

fn sample(shared: &Shared, id: &Value, process: usize) -> Value {
    let now = unix_ms();
    let workers: Vec<Value> = shared
        .workers
        .iter()
        .map(|w| {
            let ops: serde_json::Map<String, Value> = shared
                .op_names
                .iter()
                .zip(w.ops.iter())
                .map(|(n, o)| {
                    (n.clone(), json!([o.busy_ns.load(Relaxed), o.records_in.load(Relaxed), o.records_out.load(Relaxed), o.schedules.load(Relaxed), o.pulled.load(Relaxed)]))
                })
                .collect();
            json!({
                "index": w.index,
                "asOfNs": w.as_of_ns.load(Relaxed),
                "epochUnixMs": w.epoch_unix_ms.load(Relaxed),
                "parkNs": w.park_ns.load(Relaxed),
                "ops": ops,
            })
        })
        .collect();
    let sources: serde_json::Map<String, Value> = shared
        .source_names
        .iter()
        .enumerate()
        .map(|(slot, name)| {
            let per: Vec<Value> = shared
                .workers
                .iter()
                .filter(|w| w.sources[slot].active.load(Relaxed))
                .map(|w| {
                    let s = &w.sources[slot];
                    let cursor = load_f64(&s.cursor_ms);
                    let rate = load_f64(&s.rate);
                    let lag = ((now - cursor).max(0.0) * rate / 1000.0).floor();
                    json!({
                        "worker": w.index,
                        "emitted": s.emitted.load(Relaxed),
                        "nextId": s.next_id.load(Relaxed),
                        "cursorMs": cursor,
                        "rate": rate,
                        "lag": lag,
                        "blockedNs": s.blocked_ns.load(Relaxed),
                    })
                })
                .collect();
            (name.clone(), Value::Array(per))
        })
        .collect();
    json!({ "sample": id, "process": process, "unixMs": now, "rate": shared.rate(), "logging": shared.logging, "workers": workers, "sources": sources })
}

fn emit(line: &Value) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{}", line).and_then(|_| out.flush()).is_err() {
        std::process::exit(0); // nobody is listening any more
    }
}

fn fail(msg: String) -> ! {
    eprintln!("streamtune-timely: {}", msg);
    std::process::exit(2);
}

fn main() {
    let args = Args::parse().unwrap_or_else(|e| fail(e));
    let threads: usize = args.num("workers", 1).unwrap_or_else(|e| fail(e));
    let processes: usize = args.num("processes", 1).unwrap_or_else(|e| fail(e));
    let process: usize = args.num("process", 0).unwrap_or_else(|e| fail(e));
    let rate: f64 = args.num("rate", 1000.0).unwrap_or_else(|e| fail(e));
    let epoch_ms: u64 = args.num("epoch-ms", 100).unwrap_or_else(|e| fail(e));
    let max_in_flight_ms: u64 = args.num("max-in-flight-ms", 1000).unwrap_or_else(|e| fail(e));
    let flush_ms: u64 = args.num("flush-ms", 100).unwrap_or_else(|e| fail(e));
    let slice_us: u64 = args.num("slice-us", 10_000).unwrap_or_else(|e| fail(e));
    dataflow::SLICE_US.store(slice_us.max(100), Relaxed);
    let logging_on = args.str("logging").unwrap_or("on") != "off";
    let job = Job {
        kind: args.str("job").unwrap_or("nexmark").to_owned(),
        query: args.str("query").unwrap_or("q1").to_owned(),
        spec: args.str("spec").unwrap_or("").to_owned(),
        seed: args.num("seed", 42).unwrap_or_else(|e| fail(e)),
        synth: plan::SyntheticOptions {
            wait_fraction: args.num("wait-fraction", 0.8).unwrap_or_else(|e| fail(e)),
            park_threshold_us: args.num("park-threshold-us", 1000.0).unwrap_or_else(|e| fail(e)),
            keys: args.num("keys", 1024).unwrap_or_else(|e| fail(e)),
        },
    };
    if threads < 1 || processes < 1 || process >= processes || epoch_ms < 1 {
        fail("need --workers >= 1, --processes >= 1, --process < processes, --epoch-ms >= 1".into());
    }
    let placement: Option<HashMap<String, usize>> = args.str("placement").map(|p| serde_json::from_str(p).unwrap_or_else(|e| fail(format!("bad --placement: {}", e))));
    let resume: HashMap<String, Resume> = args.str("resume").map(|p| serde_json::from_str(p).unwrap_or_else(|e| fail(format!("bad --resume: {}", e)))).unwrap_or_default();
    let probe_plan = job.plan().unwrap_or_else(|e| fail(e));
    if let Some(p) = &placement {
        for k in p.keys() {
            if !probe_plan.nodes.iter().any(|n| n.id() == k) {
                fail(format!("--placement names unknown operator '{}'", k));
            }
        }
    }
    let peers = threads * processes;
    let places_json: serde_json::Map<String, Value> =
        placement_of(&placement, &probe_plan, peers).into_iter().map(|(k, (b, n))| (k, json!([b, n]))).collect();
    let shared = Arc::new(Shared::new(probe_plan.op_names(), probe_plan.source_names(), threads, process * threads, rate, logging_on));

    let communication = if processes > 1 {
        // --hosts a:p,b:q (no file to copy to other machines) or --hostfile with one host:port a line
        let (from, text) = match (args.str("hosts"), args.str("hostfile")) {
            (Some(h), _) => ("--hosts".to_owned(), h.replace(',', "\n")),
            (None, Some(f)) => (f.to_owned(), std::fs::read_to_string(f).unwrap_or_else(|e| fail(format!("cannot read {}: {}", f, e)))),
            (None, None) => fail("--processes > 1 needs --hosts or --hostfile".into()),
        };
        let addresses: Vec<String> = text.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect();
        if addresses.len() != processes {
            fail(format!("{} lists {} addresses, --processes is {}", from, addresses.len(), processes));
        }
        timely::CommunicationConfig::Cluster { threads, process, addresses, report: false, zerocopy: false }
    } else {
        timely::CommunicationConfig::Process(threads)
    };
    let config = timely::Config { communication, worker: timely::WorkerConfig::default() };

    // The harness closing our stdin (or dying) ends the process, also while the cluster is still connecting.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        std::process::exit(0);
    });

    let job = Arc::new(job);
    let placement = Arc::new(placement);
    let resume = Arc::new(resume);
    let shared_w = shared.clone();
    let guards = timely::execute(config, move |worker| {
        let index = worker.index();
        let local = index - process * threads;
        let shared = shared_w.clone();
        if shared.logging {
            let mut agg = logging::Aggregator::new(shared.clone(), local);
            worker.log_register().unwrap().insert::<TimelyEventBuilder, _>("timely", move |time, data| agg.callback(time, data));
        }
        let plan = job.plan().expect("plan");
        let places = placement_of(&placement, &plan, peers);
        let probe: ProbeHandle<Time> = ProbeHandle::new();
        worker.dataflow::<Time, _, _>(|scope| {
            let mut streams: HashMap<String, Stream<'_, Time, Batch>> = HashMap::new();
            let mut slot = 0usize;
            for node in &plan.nodes {
                match node {
                    Node::Source(s) => {
                        let r = resume.get(&s.id).cloned();
                        let make = s.make.clone();
                        let spec = SourceSpec {
                            slot,
                            share: s.share,
                            rank: rank_of(index, places[&s.id], peers),
                            first_id: r.as_ref().map(|r| r.next_id).unwrap_or(s.id_base),
                            start_cursor_ms: r.and_then(|r| r.cursor_ms),
                            epoch_ms,
                            max_in_flight_ms,
                            make: Box::new(move |id, ts| make(id, ts)),
                            cost: s.cost.clone(),
                        };
                        slot += 1;
                        let stream = dataflow::source(scope, &s.id, spec, probe.clone(), shared.clone(), local);
                        streams.insert(s.id.clone(), stream);
                    }
                    Node::Op(o) => {
                        let (base, k) = places[&o.id];
                        let mut inputs = Vec::new();
                        for e in &o.inputs {
                            let from = places[&e.from];
                            let all = k == peers;
                            let pact = match &e.ship {
                                Ship::Hash(f) => {
                                    let f = f.clone();
                                    Pact::Route(Box::new(move |m| (base as u64 + hashing::mix(f(m)) % k as u64) % peers as u64))
                                }
                                Ship::Forward | Ship::Rebalance if from == (base, k) || (all && from.1 == peers) => Pact::Local,
                                _ => Pact::Route(Box::new(move |m| (base as u64 + m.uid() % k as u64) % peers as u64)),
                            };
                            inputs.push(Input { stream: streams[&e.from].clone(), pact });
                        }
                        let stream = dataflow::operator(scope, &o.id, inputs, (o.logic)());
                        if o.sink {
                            stream.clone().probe_with(&probe);
                        }
                        streams.insert(o.id.clone(), stream);
                    }
                }
            }
        });
        shared.workers[local].built.store(true, Relaxed);
        let mut last_flush = Instant::now();
        loop {
            worker.step_or_park(Some(Duration::from_millis(20)));
            if shared.logging && last_flush.elapsed() >= Duration::from_millis(flush_ms) {
                if let Some(mut r) = worker.log_register() {
                    r.flush();
                }
                last_flush = Instant::now();
            }
        }
    })
    .unwrap_or_else(|e| fail(format!("timely could not start: {}", e)));

    while !shared.workers.iter().all(|w| w.built.load(Relaxed)) {
        std::thread::sleep(Duration::from_millis(5));
    }
    emit(&json!({"event": "ready", "workers": peers, "threads": threads, "process": process, "processes": processes, "pid": std::process::id(), "logging": logging_on, "operators": shared.op_names, "placement": places_json, "unixMs": unix_ms()}));
    for line in rx {
        let v: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                emit(&json!({"error": format!("bad command: {}", e)}));
                continue;
            }
        };
        if let Some(r) = v.get("rate").and_then(Value::as_f64) {
            if r >= 0.0 && r.is_finite() {
                shared.set_rate(r);
            }
        }
        if let Some(id) = v.get("sample") {
            emit(&sample(&shared, id, process));
        }
        if v.get("stop").is_some() {
            let mut last = sample(&shared, &v["stop"], process);
            last["stopped"] = json!(true);
            emit(&last);
            std::process::exit(0);
        }
    }
    drop(guards);
    std::process::exit(0);
}
