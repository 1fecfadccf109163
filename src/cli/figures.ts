/** `npm run figures [-- --quick] [--only name[,name]] [--out dir] [--jobs n] [--list file] [--no-real]`: the paper's figures. */
import { relative } from 'node:path';
import { DEFAULT_FIGURES, runFigures } from '../paper/figures.js';
import { command, EXIT, guard, integerIn } from './common.js';

const argv = command(
  'figures',
  '$0 [options]\n\nMakes the paper\'s figure set (experiments/paper/figures.json): runs the experiments the figures need (reusing finished ones of the same config and code version), then writes each figure as .vl.json, .svg, .png, .pdf and .csv, with index.html and manifest.json, under <out>/figures/.',
)
  .option('list', { type: 'string', default: DEFAULT_FIGURES, describe: 'the figure set' })
  .option('only', { type: 'string', describe: 'make only these figures (names, comma-separated), and run only their experiments' })
  .option('quick', { type: 'boolean', default: false, describe: "fewer seeds and episodes (the set's quick overrides) and the simulator for real-engine figures: a first look, CI" })
  .option('real', { type: 'boolean', default: true, describe: 'run real-engine experiments where the engine is available (--no-real: always their simulator fallback)' })
  .option('out', { type: 'string', describe: 'output folder (default results/paper, or results/paper-quick with --quick)' })
  .option('jobs', { type: 'string', coerce: integerIn('jobs', 1, 256), describe: 'runs in parallel per experiment' })
  .parseSync();

await guard(async () => {
  const t0 = performance.now();
  const outcome = await runFigures(argv.list, {
    quick: argv.quick,
    realEngines: argv.real,
    ...(argv.only !== undefined ? { only: argv.only.split(',').map((s) => s.trim()).filter((s) => s !== '') } : {}),
    ...(argv.out !== undefined ? { out: argv.out } : {}),
    ...(argv.jobs !== undefined ? { jobs: argv.jobs } : {}),
    log: (line) => console.log(line),
  });
  const made = outcome.figures.filter((f) => !f.skipped);
  console.log(`figures: ${relative(process.cwd(), outcome.dir) || '.'}/index.html (${made.length} made: ${made.map((f) => f.name).join(', ')}${outcome.figures.length > made.length ? `; skipped: ${outcome.figures.filter((f) => f.skipped).map((f) => f.name).join(', ')}` : ''}) in ${Math.round((performance.now() - t0) / 1000)} s`);
  return EXIT.ok;
});
