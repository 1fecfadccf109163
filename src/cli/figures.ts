/** `npm run figures [-- --list file] [--only text] [--out dir] [--jobs n]`: regenerates the paper's figures. */
import { runFigures, DEFAULT_FIGURES } from '../report/figures.js';
import { integerIn, command, EXIT, guard } from './common.js';

const argv = command('figures', '$0 [options]\n\nRuns every experiment of a figures list (experiments/paper/figures.json) and prints its results folder.')
  .option('list', { type: 'string', default: DEFAULT_FIGURES, describe: 'the figures list' })
  .option('only', { type: 'string', describe: 'run only the experiments whose path contains this text' })
  .option('out', { type: 'string', describe: 'parent folder of the results' })
  .option('jobs', { type: 'string', coerce: integerIn('jobs', 1, 256), describe: 'runs in parallel per experiment' })
  .parseSync();

await guard(async () => {
  const outcomes = await runFigures(argv.list, {
    ...(argv.only !== undefined ? { only: argv.only } : {}),
    ...(argv.out !== undefined ? { out: argv.out } : {}),
    ...(argv.jobs !== undefined ? { jobs: argv.jobs } : {}),
  });
  for (const o of outcomes) console.log(`${o.dir}  (${o.runs} runs, ${o.failed.length} failed)`);
  return outcomes.some((o) => o.failed.length > 0) ? EXIT.runFailed : EXIT.ok;
});
