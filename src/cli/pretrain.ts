/**
 * `npm run pretrain -- [--history file...] [--k K | --k auto | --k silhouette] [--seed S] [--name N]`: StreamTune's pre-training
 * (src/tuners/streamtune/pretrain.ts) on history CSVs, written to datasets/pretrained/<name>/. The recipe's
 * defaults are the streamtune tuner's option defaults, so the default set is the one the default tuner loads.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../experiment/config.js';
import { chooseBackendInfo } from '../learning/backend.js';
import { options as tunerOptions, recipeOf } from '../tuners/streamtune/index.js';
import { readHistoryWindows } from '../tuners/streamtune/dataset.js';
import { historyRef, pretrainSet, saveSet, type PretrainRecipe } from '../tuners/streamtune/pretrain.js';
import { integerIn, command, InputError, EXIT, guard } from './common.js';

const defaults = tunerOptions.parse({});
/** The full corpus (`npm run history -- --labels groundTruth`, git-ignored; remade byte for byte from its recipe). */
const DEFAULT_HISTORY = 'datasets/history/generated/j320-w12-s1-groundTruth.csv';
const argv = command('pretrain', '$0 [options]\n\nPre-trains StreamTune: GED clusters of the history\'s job DAGs, one encoder per cluster plus a global one.')
  .option('history', { type: 'string', array: true, default: [DEFAULT_HISTORY], describe: "history CSVs (default: the full corpus of `npm run history -- --labels groundTruth`; or an experiment's history.csv)" })
  .option('k', { type: 'string', default: String(defaults.k), describe: "clusters: a number; 'auto' = the candidate k whose cluster encoders give the lowest validation loss; 'silhouette' = the k-medoids k by silhouette" })
  .option('seed', { type: 'string', coerce: integerIn('seed', -(2 ** 31), 2 ** 32 - 1), default: 1, describe: 'seed of the weight initialisation and batch order' })
  .option('name', { type: 'string', default: 'default', describe: 'set name: written to datasets/pretrained/<name>/' })
  .option('out', { type: 'string', describe: 'set folder (overrides --name)' })
  .option('labels', { choices: ['projected', 'metric', 'groundTruth'] as const, default: defaults.labelRule, describe: 'label rule' })
  .option('encoder', { choices: ['gnn', 'mlp'] as const, default: defaults.encoder })
  .option('head', { choices: ['monotone', 'unconstrained'] as const, default: defaults.head })
  .option('layers', { type: 'string', coerce: integerIn('layers', 1, 8), default: defaults.layers })
  .option('hidden', { type: 'string', coerce: integerIn('hidden', 1, 1024), default: defaults.hidden })
  .option('direction', { choices: ['forward', 'backward', 'both'] as const, default: defaults.direction })
  .option('features', { choices: ['pInvariant', 'all'] as const, default: defaults.features })
  .option('epochs', { type: 'string', coerce: integerIn('epochs', 1, 100_000), default: defaults.pretrainEpochs })
  .option('history-size', { type: 'string', coerce: integerIn('history-size', 0, 1e9), default: defaults.historySize, describe: 'use only the first N windows (0 = all)' })
  .option('option', { type: 'string', array: true, default: [] as string[], describe: 'any other streamtune option of the recipe, key=value (value as JSON), e.g. --option lagClause=always' })
  .parseSync();

await guard(async () => {
  const backend = await chooseBackendInfo();
  console.log(`tfjs backend: ${backend.name}${backend.skipped.length ? ` (skipped: ${backend.skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ')})` : ''}`);
  const k: PretrainRecipe['k'] = argv.k === 'auto' || argv.k === 'silhouette' ? argv.k : Number(argv.k);
  if (typeof k === 'number' && !(Number.isInteger(k) && k >= 1)) throw new InputError(`--k must be a positive integer, 'auto' or 'silhouette', got '${argv.k}'`);
  const extra = Object.fromEntries(
    argv.option.map((kv) => {
      const at = kv.indexOf('=');
      if (at <= 0) throw new InputError(`--option expects key=value, got '${kv}'`);
      const raw = kv.slice(at + 1);
      let value: unknown = raw;
      try {
        value = JSON.parse(raw);
      } catch {
        // a bare string
      }
      return [kv.slice(0, at), value];
    }),
  );
  const opts = tunerOptions.parse({
    ...extra,
    // 'silhouette' is a recipe value only (the tuner's k option has no such value): set on the recipe below.
    k: k === 'silhouette' ? 'auto' : k,
    labelRule: argv.labels,
    encoder: argv.encoder,
    head: argv.head,
    layers: argv.layers,
    hidden: argv.hidden,
    direction: argv.direction,
    features: argv.features,
    pretrainEpochs: argv.epochs,
    historySize: argv['history-size'],
  });
  const recipe: PretrainRecipe = { ...recipeOf(opts, argv.seed), ...(k === 'silhouette' ? { k } : {}) };
  const files = argv.history.map((f) => (existsSync(resolve(f)) ? resolve(f) : resolve(PROJECT_ROOT, f)));
  for (const f of files)
    if (!existsSync(f))
      throw new InputError(`--history: no file ${f}${f.endsWith(DEFAULT_HISTORY) ? ' (make the full corpus first: npm run history -- --labels groundTruth)' : ''}`);
  const perFile = files.map((f) => readHistoryWindows([f]));
  const windows = perFile.flat();
  console.log(`history: ${windows.length} windows of ${new Set(windows.map((w) => w.run)).size} runs from ${files.length} file(s)`);
  const history = files.map((f, i) => ({ file: historyRef(f), windows: perFile[i]?.length ?? 0 }));
  if (!argv.out && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(argv.name))
    throw new InputError(`--name: expected one folder name (letters, digits, ., _ or -), got '${argv.name.slice(0, 60)}'`);
  const dir = argv.out ? resolve(argv.out) : join(PROJECT_ROOT, 'datasets/pretrained', argv.name);
  const t0 = performance.now();
  const command = `npm run pretrain -- ${process.argv.slice(2).join(' ')}`.trim();
  const set = await pretrainSet(windows, recipe, { name: argv.name, history, backend: backend.name, command }, (what) => console.log(what));
  await saveSet(set, dir);
  const m = set.manifest;
  for (const c of m.clusters)
    console.log(`  cluster ${c.id}: medoid ${c.medoidJob} (${c.medoid.operators.length} ops), ${c.members.length} jobs, ${c.train.windows} windows, loss ${c.train.firstLoss} -> ${c.train.lastLoss}, f1 ${c.train.fit.f1}`);
  console.log(`  global: ${m.global.train.windows} windows, loss ${m.global.train.firstLoss} -> ${m.global.train.lastLoss}, f1 ${m.global.train.fit.f1}`);
  for (const c of m.kCandidates ?? []) console.log(`  k = ${c.k}: validation loss ${c.loss} (vs global ${c.vsGlobal.mean} +- ${c.vsGlobal.se}), gedFallback ${c.gedFallback}, cluster share ${(100 * c.clusterShare).toFixed(1)} %`);
  console.log(`pretrained set: ${dir} (k = ${m.k} by ${m.kChosenBy}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return EXIT.ok;
});
