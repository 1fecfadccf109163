/**
 * `npm run calibrate` (thin: parsing here, the work in src/calibration):
 *   - no --query: the machine profile. Designed real Flink runs (synthetic jobs and Nexmark q1, q3, q5, q8, three
 *     parallelisms per operator and three rates) through the control loop, the physics terms fitted to them,
 *     written to datasets/calibration/profiles/<profile>.json (default flink-2core) with the raw measurements beside it;
 *     `--from <measurements.json>` refits without running Flink. About 16 minutes on 2 cores.
 *   - `--engine timely`, no --query: the Timely profile (src/calibration/timely.ts): Nexmark q1, q3, q5 on real
 *     Timely at W = 1, 2 and three rates plus overload, and the logging runs, fitted into datasets/calibration/profiles/
 *     timely-2core.json with its raw measurements beside it; `--from` refits.
 *   - `--query q5` (or `all`): per-query operator costs into datasets/calibration/costs/flink/<query>.json (src/calibration/query.ts);
 *     with `--engine timely` on real Timely into datasets/calibration/costs/timely/<query>.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { calibrateMachine, readMeasurements } from '../calibration/index.js';
import { checkLoad, loadLine } from '../calibration/load.js';
import { calibrate } from '../calibration/query.js';
import { CALIBRATION_QUERIES } from '../calibration/design.js';
import { FlinkEngine, NEXMARK_ON_FLINK } from '../engines/flink/index.js';
import { queryCostsDir } from '../core/project.js';
import { PROFILE_NAME } from '../engines/simulator/profile.js';
import { NEXMARK_ON_TIMELY, TimelyEngine } from '../engines/timely/index.js';
import { calibrateTimely, TIMELY_CALIBRATION_QUERIES, type TimelyMeasurements } from '../calibration/timely.js';
import { isNexmarkQuery, type NexmarkQuery } from '../workloads/nexmark/templates.js';
import { command, EXIT, guard } from './common.js';

export { calibrate, fitCosts, totals, type CalibrationResult, type OperatorCalibration } from '../calibration/query.js';

async function main(): Promise<number> {
  const argv = await command(
    'calibrate',
    '$0 [--profile flink-2core] [--from measurements.json]\n$0 --query q5 [--engine timely] [options]\n\nWithout --query: fits the simulator\'s physics terms to designed real Flink runs into a machine profile (datasets/calibration/profiles/<profile>.json).\nWith --query: measures per-operator cost (busy microseconds per record) of a Nexmark query on a local Flink or Timely.',
  )
    .option('profile', { type: 'string', describe: 'profile to write (without --query; default flink-2core, or timely-2core with --engine timely)' })
    .option('from', { type: 'string', describe: 'refit the profile from saved measurements (no real runs)' })
    .option('queries', { type: 'string', describe: `Nexmark queries of the profile calibration (default ${CALIBRATION_QUERIES.join(',')}; Timely ${TIMELY_CALIBRATION_QUERIES.join(',')})` })
    .option('cores', { type: 'number', describe: "cores of the machine the profile describes (default: this machine's)" })
    .option('max-load', { type: 'number', describe: "refuse to measure when the 1-minute load average is above this (default: this machine's cores)" })
    .option('force', { type: 'boolean', default: false, describe: 'measure even above --max-load; the profile is marked as measured on a loaded machine' })
    .option('query', { type: 'string', describe: `query, or "all" (Flink: ${Object.keys(NEXMARK_ON_FLINK).join(', ')}; Timely: ${Object.keys(NEXMARK_ON_TIMELY).join(', ')})` })
    .option('engine', { choices: ['flink', 'timely'] as const, default: 'flink' as const, describe: 'real engine to measure on' })
    .option('rate', { type: 'number', describe: 'high generator rate, events/s (keep the machine unsaturated; default 12000 on Flink, 300000 on Timely)' })
    .option('low-rate', { type: 'number', describe: 'low generator rate, events/s (costs are the slope between the two; default 4000 on Flink, 100000 on Timely)' })
    .option('warmup', { type: 'number', default: 15, describe: 'seconds before measuring' })
    .option('window', { type: 'number', default: 15, describe: 'seconds per measurement window' })
    .option('windows', { type: 'number', default: 2, describe: 'measurement windows per rate' })
    .option('parallelism', { type: 'string', describe: 'JSON per-operator parallelism, e.g. {"hotCount":2} (others 1)' })
    .option('slots', { type: 'number', default: 8 })
    .option('out', { type: 'string', describe: 'output folder (default datasets/calibration/costs/flink, or costs/timely with --engine timely)' })
    .strict()
    .help()
    .parse();
  if (argv.query === undefined) {
    const timely = argv.engine === 'timely';
    const name = argv.profile ?? (timely ? 'timely-2core' : 'flink-2core');
    if (!PROFILE_NAME.test(name) || name === 'linear') {
      console.error(`error: --profile: '${name}' is not a profile name to write (letters, digits, . _ -; not the built-in 'linear')`);
      return EXIT.badInput;
    }
    const implemented = timely ? NEXMARK_ON_TIMELY : NEXMARK_ON_FLINK;
    const queries = (argv.queries ?? (timely ? TIMELY_CALIBRATION_QUERIES : CALIBRATION_QUERIES).join(',')).split(',').map((q) => q.trim());
    const bad = queries.find((q) => !isNexmarkQuery(q) || !implemented[q]);
    if (bad !== undefined) {
      console.error(`error: --queries: no ${timely ? 'Timely' : 'Flink'} implementation of '${bad}' (have ${Object.keys(implemented).join(', ')})`);
      return EXIT.badInput;
    }
    const cores = argv.cores ?? availableParallelism();
    if (!(cores > 0)) {
      console.error('error: --cores must be a number > 0');
      return EXIT.badInput;
    }
    const { maxLoad, refused } = checkLoad({ maxLoad: argv['max-load'], force: argv.force, reusing: Boolean(argv.from), log: (l) => console.log(l) });
    if (refused) {
      console.error(`error: ${refused}`);
      return EXIT.badInput;
    }
    if (timely) {
      const started = Date.now();
      const { file, profile } = await calibrateTimely((logging) => new TimelyEngine({ logging }), {
        profile: name,
        queries: queries as NexmarkQuery[],
        cores,
        ...(argv.from ? { from: JSON.parse(readFileSync(resolve(argv.from), 'utf8')) as TimelyMeasurements } : {}),
        log: (s) => console.log(s),
      });
      console.log(`terms: ${JSON.stringify({ ...profile.terms, costs: undefined, growth: undefined })}`);
      for (const [job, ops] of Object.entries(profile.terms.costs))
        console.log(`  ${job}: ${Object.entries(ops).map(([op, c]) => `${op} ${c} us + ${profile.terms.growth[job]?.[op] ?? 0} per 1K/s/worker`).join(', ')}`);
      console.log(`fit on the calibration points: median busy error ${(100 * profile.fit.busyError).toFixed(1)}%, sustainable-rate error ${(100 * profile.fit.sustainableRateError).toFixed(1)}%`);
      console.log(`load average (1, 5, 15 min): ${profile.host.loadAverageAtStart.join(' ')} at the start, ${profile.host.loadAverageAtEnd.join(' ')} at the end`);
      console.log(`wrote ${file} (real runs ${profile.calibrationWallSeconds.toFixed(0)} s${argv.from ? ', reused' : ''}; this command ${((Date.now() - started) / 1000).toFixed(0)} s)`);
      return EXIT.ok;
    }
    const started = Date.now();
    const { file, profile } = await calibrateMachine(() => new FlinkEngine({ slots: 32 }), {
      maxLoad,
      profile: name,
      queries: queries as NexmarkQuery[],
      cores,
      ...(argv.from ? { from: readMeasurements(resolve(argv.from)) } : {}),
      log: (s) => console.log(s),
    });
    console.log(`terms: ${JSON.stringify(profile.terms)}`);
    if (profile.load) console.log(loadLine(profile.load));
    else console.log('machine load: not recorded with these measurements');
    console.log(`fit on the calibration points: median busy error ${(100 * profile.fit.busyError).toFixed(1)}%, sustainable-rate error ${(100 * profile.fit.sustainableRateError).toFixed(1)}%`);
    console.log(`wrote ${file} (real runs ${profile.calibrationWallSeconds.toFixed(0)} s${argv.from ? ', reused' : ''}; this command ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    return EXIT.ok;
  }
  const timely = argv.engine === 'timely';
  const implemented = timely ? NEXMARK_ON_TIMELY : NEXMARK_ON_FLINK;
  const queries: string[] = argv.query === 'all' ? Object.keys(implemented) : [argv.query];
  for (const q of queries) {
    if (!implemented[q]) {
      console.error(`error: no ${timely ? 'Timely' : 'Flink'} implementation of '${q}' (have ${Object.keys(implemented).join(', ')})`);
      return EXIT.badInput;
    }
  }
  const out = argv.out ?? queryCostsDir(timely ? 'timely' : 'flink');
  const parallelism = argv.parallelism ? (JSON.parse(argv.parallelism) as Record<string, number>) : undefined;
  mkdirSync(resolve(out), { recursive: true });
  for (const q of queries) {
    const r = await calibrate(q as NexmarkQuery, {
      rates: [argv['low-rate'] ?? (timely ? 100_000 : 4_000), argv.rate ?? (timely ? 300_000 : 12_000)],
      warmupSec: argv.warmup,
      windowSec: argv.window,
      windows: argv.windows,
      parallelism,
      slots: argv.slots,
      log: (s) => console.log(s),
      engine: argv.engine,
    });
    const file = join(resolve(out), `${q}.json`);
    writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
    for (const [id, m] of Object.entries(r.operators))
      console.log(
        `  ${id.padEnd(10)} cost ${String(m.cost ?? '-').padStart(8)} us/record  fixed ${String(m.fixedMsPerSecond ?? '-').padStart(6)} ms/s  ` +
          `selectivity ${m.selectivity}  (in ${m.recordsInPerSecond.join(' -> ')}/s, busy ${m.busyMsPerSecond.join(' -> ')} ms/s)${m.note ? `  [${m.note}]` : ''}`,
      );
    console.log(`wrote ${file}`);
  }
  return EXIT.ok;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) await guard(main);
