/**
 * `npx tsx src/cli/calibrate.ts --query q5` (or `npm run calibrate -- --query q5`, `--query all`): measures each
 * operator's per-record cost on real Flink (a local MiniCluster) and writes datasets/calibration/<query>.json,
 * which the simulator's Nexmark templates read as per-operator overrides:
 *
 *   { "query": "q5", "flinkVersion": "2.3.0", "measuredAt": "<ISO time>",
 *     "operators": { "<id>": { "cost": <busy microseconds per input record, per emitted record for a source>,
 *                             "selectivity": <records out per record in> , ...measurement details } },
 *     "rate": <events/s>, "windowSeconds": <s>, "windows": <n>, "parallelism": {...}, "host": {...} }
 *
 * cost = total busy time / total records in (over all subtasks and windows) = 1e6 x p / trueProcessingRate.
 * Busy time is wall time a subtask spent not idle and not backpressured, so on an oversubscribed machine it
 * includes waiting for a CPU: calibrate at a rate well below saturation (the default), with nothing else running.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { Snapshot } from '../core/metrics.js';
import { uniformParallelism } from '../core/parallelism.js';
import { FlinkEngine, NEXMARK_ON_FLINK } from '../engines/flink/index.js';
import { nexmark, type NexmarkQuery } from '../workloads/nexmark/templates.js';
import { EXIT, guard } from './common.js';

export interface CalibrationResult {
  query: string;
  flinkVersion: string;
  measuredAt: string;
  rate: number;
  windowSeconds: number;
  windows: number;
  parallelism: Record<string, number>;
  host: { cpus: number; cpuModel: string };
  operators: Record<string, { cost: number; selectivity: number; busyMsPerSecond: number; recordsInPerSecond: number; recordsOutPerSecond: number }>;
}

/** Aggregates valid windows into per-operator cost and selectivity. */
export function costsFromSnapshots(snapshots: readonly Snapshot[], types: Readonly<Record<string, string>>): CalibrationResult['operators'] {
  const out: CalibrationResult['operators'] = {};
  for (const id of Object.keys(types)) {
    let busyMs = 0;
    let recordsIn = 0;
    let recordsOut = 0;
    let seconds = 0;
    let busyAvg = 0;
    for (const s of snapshots) {
      const m = s.operators[id];
      if (!m) continue;
      busyMs += m.busyMsPerSecond * m.parallelism * s.windowSeconds;
      recordsIn += m.recordsInPerSecond * s.windowSeconds;
      recordsOut += m.recordsOutPerSecond * s.windowSeconds;
      busyAvg += m.busyMsPerSecond * s.windowSeconds;
      seconds += s.windowSeconds;
    }
    const isSource = types[id] === 'source';
    const isSink = types[id] === 'sink';
    out[id] = {
      cost: recordsIn > 0 ? round((busyMs * 1000) / recordsIn) : 0,
      selectivity: isSource ? 1 : isSink ? 0 : recordsIn > 0 ? round(recordsOut / recordsIn) : 0,
      busyMsPerSecond: seconds > 0 ? round(busyAvg / seconds) : 0,
      recordsInPerSecond: seconds > 0 ? round(recordsIn / seconds) : 0,
      recordsOutPerSecond: seconds > 0 ? round(recordsOut / seconds) : 0,
    };
  }
  return out;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

export async function calibrate(
  query: NexmarkQuery,
  o: { rate: number; warmupSec: number; windowSec: number; windows: number; parallelism?: Record<string, number>; slots: number; log: (s: string) => void },
): Promise<CalibrationResult> {
  const { job } = nexmark(query, { calibration: null });
  const parallelism = { ...uniformParallelism(job, 1), ...(o.parallelism ?? {}) };
  const engine = new FlinkEngine({ slots: o.slots });
  try {
    const d = await engine.deploy(job, parallelism, o.rate);
    o.log(`${query}: running on Flink ${d.flinkVersion} (JVM ${d.timings.clusterStartSeconds.toFixed(1)} s, job ${d.timings.submitSeconds.toFixed(1)} s); warming up ${o.warmupSec} s`);
    await d.advance(o.warmupSec);
    const valid: Snapshot[] = [];
    for (let tries = 0; valid.length < o.windows && tries < o.windows + 3; tries++) {
      const s = await d.observe(o.windowSec);
      if (!s.valid) {
        o.log(`${query}: window skipped (${s.note})`);
        continue;
      }
      const lag = Object.values(s.sources).reduce((a, m) => a + m.lagRecords, 0);
      o.log(`${query}: window ${valid.length + 1}/${o.windows}: ${s.achievedRate.toFixed(0)}/${s.targetRate} events/s, lag ${lag}`);
      valid.push(s);
    }
    if (valid.length === 0) throw new Error(`${query}: no valid measurement window`);
    const types = Object.fromEntries(job.operators().map((op) => [op.id, op.type]));
    return {
      query,
      flinkVersion: d.flinkVersion,
      measuredAt: new Date().toISOString(),
      rate: o.rate,
      windowSeconds: o.windowSec,
      windows: valid.length,
      parallelism,
      host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
      operators: costsFromSnapshots(valid, types),
    };
  } finally {
    await engine.close();
  }
}

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('calibrate')
    .usage('$0 --query q5 [options]\n\nMeasures per-operator cost (busy microseconds per record) of a Nexmark query on a local Flink.')
    .option('query', { type: 'string', demandOption: true, describe: `query, or "all" (${Object.keys(NEXMARK_ON_FLINK).join(', ')})` })
    .option('rate', { type: 'number', default: 10_000, describe: 'generator events per second (keep the machine unsaturated)' })
    .option('warmup', { type: 'number', default: 15, describe: 'seconds before measuring' })
    .option('window', { type: 'number', default: 15, describe: 'seconds per measurement window' })
    .option('windows', { type: 'number', default: 2, describe: 'measurement windows' })
    .option('parallelism', { type: 'string', describe: 'JSON per-operator parallelism, e.g. {"hotCount":2} (others 1)' })
    .option('slots', { type: 'number', default: 8 })
    .option('out', { type: 'string', default: 'datasets/calibration', describe: 'output folder' })
    .strict()
    .help()
    .parse();
  const queries = argv.query === 'all' ? Object.keys(NEXMARK_ON_FLINK) : [argv.query];
  for (const q of queries) {
    if (!NEXMARK_ON_FLINK[q]) {
      console.error(`error: no Flink implementation of '${q}' (have ${Object.keys(NEXMARK_ON_FLINK).join(', ')})`);
      return EXIT.badInput;
    }
  }
  const parallelism = argv.parallelism ? (JSON.parse(argv.parallelism) as Record<string, number>) : undefined;
  mkdirSync(resolve(argv.out), { recursive: true });
  for (const q of queries) {
    const r = await calibrate(q as NexmarkQuery, {
      rate: argv.rate,
      warmupSec: argv.warmup,
      windowSec: argv.window,
      windows: argv.windows,
      parallelism,
      slots: argv.slots,
      log: (s) => console.log(s),
    });
    const file = join(resolve(argv.out), `${q}.json`);
    writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
    for (const [id, m] of Object.entries(r.operators))
      console.log(`  ${id.padEnd(10)} cost ${String(m.cost).padStart(8)} us/record  selectivity ${m.selectivity}  (${m.recordsInPerSecond}/s in, busy ${m.busyMsPerSecond} ms/s)`);
    console.log(`wrote ${file}`);
  }
  return EXIT.ok;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) await guard(main);
