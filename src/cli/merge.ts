/**
 * `npm run merge -- <shard folders...> [--out dir] [--run-id id]`: shards of one experiment into one run folder;
 * `npm run merge -- <submission folder>`: the shards of an `npm run submit` sweep into its <name>/merged/.
 */
import { writeReport } from '../report/report.js';
import { mergeExperimentShards } from '../experiment/experiment.js';
import { isSubmissionFolder, mergeSubmission } from '../batch/merge.js';
import { command, EXIT, guard, InputError } from './common.js';

const argv = command(
  'merge',
  '$0 <shard folders...> [options]\n$0 <submission folder>\n\nMerges the folders of `npm run experiment -- <config> --shard i/n` (i = 1..n) into one run folder, byte-identical to a single-machine run. Refuses shards of different configs or code versions, a missing shard and an unfinished run. Given the folder of `npm run submit`, merges its shards into <folder>/<name>/merged, or names each shard that did not finish and its log (exit 1).',
)
  .command('$0 <shards..>', 'merge shard folders')
  .positional('shards', { type: 'string', array: true, describe: 'the shard run folders, in any order; or one submission folder' })
  .option('out', { type: 'string', describe: "parent folder of the merged run folder (default: the config's outputs.dir)" })
  .option('run-id', { type: 'string', describe: 'name of the merged run folder (default: the UTC time)' })
  .parseSync();

await guard(async () => {
  const dirs = argv.shards as string[];
  if (dirs.length === 1 && isSubmissionFolder(dirs[0] as string)) {
    if (argv.out !== undefined || argv['run-id'] !== undefined) throw new InputError('--out, --run-id: not with a submission folder (its merge goes to <folder>/<name>/merged)');
    const outcome = await mergeSubmission(dirs[0] as string, writeReport);
    console.log(`results: ${outcome.dir}`);
    console.log(`runs: ${outcome.runs} merged from the submission's shards`);
    return EXIT.ok;
  }
  const outcome = await mergeExperimentShards(dirs, {
    report: writeReport,
    ...(argv.out !== undefined ? { out: argv.out } : {}),
    ...(argv['run-id'] !== undefined ? { runId: argv['run-id'] } : {}),
  });
  console.log(`results: ${outcome.dir}`);
  console.log(`runs: ${outcome.runs} merged from ${dirs.length} shards`);
  for (const e of outcome.extrapolations ?? []) console.log(`beyond the profile's measurements: ${e}`);
  return EXIT.ok;
});
