/**
 * `npm run history -- --jobs N --windows M --seed S [--labels metric|groundTruth] [--out file]`: generates a
 * pre-training corpus on the simulator (src/corpus/generate.ts) in the history.csv format.
 */
import { statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../experiment/config.js';
import { writeCsv } from '../io/files.js';
import { generateHistory, HISTORY_GEN_DEFAULTS } from '../corpus/generate.js';
import { CORPUS_FOLDER, corpusName } from '../history/corpus-name.js';
import { DEFAULT_PROFILE, loadProfile } from '../engines/simulator/profile.js';
import { NEXMARK_QUERIES, isNexmarkQuery } from '../workloads/nexmark/templates.js';
import { LABEL_RULES, type LabelRule } from '../history/labels.js';
import { HISTORY_COLUMNS } from '../history/record.js';
import { integerIn, numberIn, command, InputError, EXIT, guard } from './common.js';

const d = HISTORY_GEN_DEFAULTS;
const argv = command('history', '$0 [options]\n\nGenerates a StreamTune pre-training corpus on the simulator: variants of families of jobs (Nexmark queries and synthetic templates).')
  .option('jobs', { type: 'string', coerce: integerIn('jobs', 1, 100_000), default: d.jobs, describe: 'jobs in the corpus' })
  .option('windows', { type: 'string', coerce: integerIn('windows', 1, 100_000), default: d.windows, describe: 'observed windows per job (a random configuration and rate each)' })
  .option('seed', { type: 'string', coerce: integerIn('seed', -(2 ** 31), 2 ** 32 - 1), default: d.seed, describe: 'seed of the jobs, configurations, rates and measurement noise' })
  .option('labels', { choices: LABEL_RULES, default: d.labels as LabelRule, describe: "'groundTruth' also fills the simulator's truth columns" })
  .option('nexmark-share', { type: 'string', coerce: numberIn('nexmark-share', 0, 1), default: d.nexmarkShare, describe: 'share of the jobs that are Nexmark templates' })
  .option('synthetic-families', { type: 'string', coerce: integerIn('synthetic-families', 0, 10_000), default: d.syntheticFamilies, describe: 'synthetic template families (0: every synthetic job a fresh random DAG)' })
  .option('max-edits', { type: 'string', coerce: integerIn('max-edits', 0, 100), default: d.maxEdits, describe: 'structural edits per variant: uniform in [0, max-edits]' })
  .option('cost-spread', { type: 'string', coerce: numberIn('cost-spread', 0, 4), default: d.costSpread, describe: 'standard deviation of the log2 cost drift of a variant' })
  .option('min-operators', { type: 'string', coerce: integerIn('min-operators', 3, 40), default: d.minOperators, describe: 'smallest synthetic template' })
  .option('max-operators', { type: 'string', coerce: integerIn('max-operators', 3, 40), default: d.maxOperators, describe: 'largest synthetic template' })
  .option('profile', { type: 'string', default: DEFAULT_PROFILE, describe: "simulator physics: a machine profile ('linear' built in, or datasets/calibration/profiles/<name>.json from npm run calibrate)" })
  .option('queries', { type: 'string', describe: `Nexmark templates to draw from, comma-separated (default all: ${NEXMARK_QUERIES.join(',')})` })
  .option('out', { type: 'string', describe: 'output CSV (default datasets/history/generated/<name>.csv)' })
  .parseSync();

await guard(async () => {
  const queries = argv.queries === undefined ? [...NEXMARK_QUERIES] : argv.queries.split(',').filter((q) => q !== '');
  for (const q of queries) if (!isNexmarkQuery(q)) throw new InputError(`--queries: unknown Nexmark query '${q}' (known: ${NEXMARK_QUERIES.join(', ')})`);
  let physics;
  try {
    physics = loadProfile(argv.profile);
  } catch (e) {
    throw new InputError(`--profile: ${(e as Error).message}`);
  }
  const name = corpusName({ jobs: argv.jobs, windows: argv.windows, seed: argv.seed, labels: argv.labels, profile: argv.profile });
  const out = argv.out ? resolve(argv.out) : join(PROJECT_ROOT, CORPUS_FOLDER, `${name}.csv`);
  const t0 = performance.now();
  const rows = await generateHistory(
    {
      jobs: argv.jobs,
      windows: argv.windows,
      seed: argv.seed,
      labels: argv.labels,
      nexmarkShare: argv['nexmark-share'],
      minOperators: argv['min-operators'],
      maxOperators: argv['max-operators'],
      syntheticFamilies: argv['synthetic-families'],
      maxEdits: argv['max-edits'],
      costSpread: argv['cost-spread'],
      simulator: physics,
      queries: queries.filter(isNexmarkQuery),
    },
    (done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\rjobs ${done}/${total}`);
    },
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  writeCsv(out, HISTORY_COLUMNS, rows);
  const windows = new Set(rows.map((r) => `${r.run}|${r.window}`)).size;
  const kb = Math.round(statSync(out).size / 1024);
  console.log(`history: ${relative(process.cwd(), out) || out} (${rows.length} rows, ${windows} windows, ${kb} KB, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return EXIT.ok;
});
