/** `npm run experiment -- <config> [--out dir] [--resume run-dir] [--jobs n] [--seed n]` */
import cliProgress from 'cli-progress';
import { runExperiment, type Progress } from '../experiment/experiment.js';
import { command, EXIT, guard } from './common.js';

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

const argv = command('experiment', '$0 <config> [options]\n\nRuns an experiment file (resolved against the current folder, then experiments/).')
  .command('$0 <config>', 'run an experiment')
  .positional('config', { type: 'string', describe: 'experiment JSON, e.g. configs/nexmark-q5.json' })
  .option('out', { type: 'string', describe: 'parent folder of the results (default: the config\'s outputs.dir)' })
  .option('resume', { type: 'string', describe: 'a run folder to resume: finished runs are kept, the rest run' })
  .option('jobs', { type: 'number', describe: 'runs in parallel (worker threads); default: the number of cores' })
  .option('seed', { type: 'number', describe: "replaces the config's seeds with this one" })
  .parseSync();

let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  console.error('\ninterrupted: finished runs are saved; continue with --resume <run-dir>');
  process.exit(EXIT.interrupted);
});

const bar = progressBar();
await guard(async () => {
  const outcome = await runExperiment({
    config: argv.config as string,
    ...(argv.out !== undefined ? { out: argv.out } : {}),
    ...(argv.resume !== undefined ? { resume: argv.resume } : {}),
    ...(argv.jobs !== undefined ? { jobs: argv.jobs } : {}),
    ...(argv.seed !== undefined ? { seed: argv.seed } : {}),
    ...(bar ? { progress: bar } : {}),
  });
  if (interrupted) return EXIT.interrupted;
  console.log(`results: ${outcome.dir}`);
  console.log(`runs: ${outcome.runs} (${outcome.skipped} resumed, ${outcome.failed.length} failed)`);
  for (const f of outcome.failed) console.error(`run ${f.key} failed: ${f.error}`);
  return outcome.failed.length > 0 ? EXIT.runFailed : EXIT.ok;
});
