/** `npm run experiment -- <config> [--out dir] [--run-id id] [--resume run-dir] [--jobs n] [--seed n] [--shard i/n] [--allow-large] [--no-train]` */
import cliProgress from 'cli-progress';
import { writeReport } from '../report/report.js';
import { runExperiment, type ExperimentOptions, type Progress } from '../experiment/experiment.js';
import { duration, formatEstimate } from '../experiment/estimate.js';
import { BOUNDS } from '../core/bounds.js';
import { parseShard } from '../experiment/shard.js';
import { assetSeconds } from '../experiment/plan.js';
import { basename } from 'node:path';
import { asWritten, command, EXIT, guard, InputError, integerIn } from './common.js';

function progressBar(): Progress | undefined {
  if (!process.stdout.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    { format: '{bar} {percentage}% | episodes {value}/{total} | runs {runs} | ETA {eta_formatted}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let runs = 0;
  let total = 0;
  return {
    start: (n, episodes, skipped) => {
      total = n;
      runs = skipped;
      bar.start(episodes, 0, { runs: `${runs}/${total}` });
    },
    episode: () => bar.increment(),
    run: () => bar.update({ runs: `${++runs}/${total}` }),
    stop: () => bar.stop(),
  };
}

/** StreamTune pre-training before the runs: a time bar against the estimate on a TTY, else one line per stage. */
function trainingProgress(): NonNullable<ExperimentOptions['onTrain']> {
  const tty = process.stdout.isTTY;
  const bar = new cliProgress.SingleBar(
    { format: 'pre-training {bar} {value}/{total} s (estimate) | {stage}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let timer: NodeJS.Timeout | undefined;
  return {
    start: (p, count) => {
      const est = Math.ceil(assetSeconds(p));
      const corpora = p.corpora.length > 0 ? `; first generating ${p.corpora.map((f) => basename(f)).join(', ')}` : '';
      console.log(`${p.asset.describe} (${p.where}${corpora}), ~${duration(est)}${count > 1 ? ` (1 of ${count})` : ''}, into ${p.asset.id}`);
      if (!tty) return;
      const t0 = Date.now();
      bar.start(est, 0, { stage: 'starting' });
      timer = setInterval(() => bar.update(Math.min(est, Math.round((Date.now() - t0) / 1000))), 500);
    },
    step: (what) => (tty ? bar.update({ stage: what.slice(0, 60) }) : console.log(`  ${what}`)),
    stop: () => {
      if (timer) clearInterval(timer);
      if (tty) bar.stop();
    },
  };
}

const argv = command(
  'experiment',
  '$0 <config> [options]\n$0 --resume <run-dir>\n\nRuns an experiment file (resolved against the current folder, then experiments/), or resumes a run folder with its own config.',
)
  .command('$0 [config]', 'run an experiment')
  .positional('config', { type: 'string', describe: 'experiment JSON, e.g. configs/nexmark-q5.json' })
  .option('out', { type: 'string', describe: "parent folder of the results (default: the config's outputs.dir)" })
  .option('run-id', { type: 'string', describe: 'name of the run folder under <out>/<name>/ (default: the UTC time)' })
  .option('resume', { type: 'string', describe: "a run folder to resume with its own config: finished runs are kept, the rest run (a config given too must be the same)" })
  .option('jobs', { type: 'string', coerce: integerIn('jobs', 1, BOUNDS.jobs), describe: 'runs in parallel (worker threads); default: the number of cores' })
  .option('seed', { type: 'string', coerce: integerIn('seed', -(2 ** 31), 2 ** 32 - 1), describe: "replaces the config's seeds with this one" })
  .option('shard', {
    type: 'string',
    coerce: (v: unknown) => parseShard(asWritten('shard', v)),
    describe: 'run only shard i of n (every n-th run, from the i-th): a folder for `npm run merge`, e.g. one per Slurm array task',
  })
  .option('allow-large', { type: 'boolean', default: false, describe: 'run even when the work estimate is over the limit' })
  .option('measure-oracle', {
    type: 'boolean',
    default: false,
    describe: 'on an engine without ground truth, first run the measured oracle search (npm run oracle) where no record is cached; prints its time estimate',
  })
  .option('oracle-cache-dir', { type: 'string', describe: "where the measured oracle's records are (default: datasets/oracle/ for a committed real-engine config, else <outputs.dir>/oracle/)" })
  .option('train', { type: 'boolean', default: true, describe: 'pre-train a StreamTune recipe that differs from its pretrained set (--no-train: refuse instead)' })
  .check((a) => {
    if (a.config === undefined && a.resume === undefined) throw new InputError('give an experiment file, or --resume <run-dir>');
    if (a.resume !== undefined && a['run-id'] !== undefined) throw new InputError('--run-id: not with --resume (the run folder is the resumed one)');
    return true;
  })
  .parseSync();

let runDir: string | undefined;
let estimate = '';
// Ctrl-C, and SIGTERM (what a batch scheduler sends on scancel or at the time limit): stop between runs.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    console.error(runDir ? `\n${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: finished runs are saved; continue with --resume ${runDir}` : `\n${signal === 'SIGINT' ? 'interrupted' : 'terminated'} before any run started`);
    process.exit(signal === 'SIGINT' ? EXIT.interrupted : EXIT.terminated);
  });

const bar = progressBar();
await guard(async () => {
  const outcome = await runExperiment({
    ...(argv.config !== undefined ? { config: argv.config as string } : {}),
    ...(argv.out !== undefined ? { out: argv.out } : {}),
    ...(argv['run-id'] !== undefined ? { runId: argv['run-id'] } : {}),
    ...(argv.resume !== undefined ? { resume: argv.resume } : {}),
    ...(argv.jobs !== undefined ? { jobs: argv.jobs } : {}),
    ...(argv.seed !== undefined ? { seed: argv.seed } : {}),
    ...(argv.shard !== undefined ? { shard: argv.shard } : {}),
    allowLarge: argv['allow-large'],
    train: argv.train,
    report: writeReport,
    measureOracle: argv['measure-oracle'],
    ...(argv['oracle-cache-dir'] !== undefined ? { oracleCacheDir: argv['oracle-cache-dir'] } : {}),
    onOracle: {
      onPlan: (p) => console.log(`measured oracle: ${p.pending} rate(s) to search, at most ~${duration(p.estimateSec)} (budget x one probe)`),
      onProbe: (rate, r, used, budget) => console.log(`  oracle probe ${used}/${budget} at ${Math.round(rate)} records/s: total ${Object.values(r.parallelism).join('+')} ${r.outcome}`),
      onRate: (o) => console.log(`  measured oracle at ${Math.round(o.rate)} records/s: ${o.record.result ? `total ${o.record.result.totalParallelism}` : 'none found'} (${o.record.probesUsed} probes${o.cached ? ', cached' : ''})`),
    },
    onPlan: (plan) => (estimate = formatEstimate(plan.estimate)),
    onFolder: (dir) => {
      runDir = dir;
      console.log(`run folder: ${dir}`);
      console.log(estimate);
    },
    onReclaim: (line) => console.error(`resume: ${line}`),
    onUnverified: (line) => console.error(`resume: ${line}`),
    onTrain: trainingProgress(),
    ...(bar ? { progress: bar } : {}),
  });
  console.log(`results: ${outcome.dir}`);
  console.log(`runs: ${outcome.runs}${outcome.shard ? ` of shard ${outcome.shard}` : ''} (${outcome.skipped} resumed, ${outcome.failed.length} failed)`);
  if (outcome.shard) console.log('a shard: merge it with the other shards with `npm run merge -- <shard folders...>`');
  for (const f of outcome.failed) console.error(`run ${f.key} failed: ${f.error}`);
  for (const e of outcome.extrapolations ?? []) console.log(`beyond the profile's measurements: ${e}`);
  return outcome.failed.length > 0 ? EXIT.runFailed : EXIT.ok;
});
