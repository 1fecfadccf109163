/** `npm run merge -- <shard folders...> [--out dir] [--run-id id]`: shards of one experiment into one run folder. */
import { writeReport } from '../report/report.js';
import { mergeExperimentShards } from '../experiment/experiment.js';
import { command, EXIT, guard } from './common.js';

const argv = command(
  'merge',
  '$0 <shard folders...> [options]\n\nMerges the folders of `npm run experiment -- <config> --shard i/n` (i = 1..n) into one run folder, byte-identical to a single-machine run. Refuses shards of different configs or code versions, a missing shard and an unfinished run.',
)
  .command('$0 <shards..>', 'merge shard folders')
  .positional('shards', { type: 'string', array: true, describe: 'the shard run folders, in any order' })
  .option('out', { type: 'string', describe: "parent folder of the merged run folder (default: the config's outputs.dir)" })
  .option('run-id', { type: 'string', describe: 'name of the merged run folder (default: the UTC time)' })
  .parseSync();

await guard(async () => {
  const outcome = await mergeExperimentShards(argv.shards as string[], {
    report: writeReport,
    ...(argv.out !== undefined ? { out: argv.out } : {}),
    ...(argv['run-id'] !== undefined ? { runId: argv['run-id'] } : {}),
  });
  console.log(`results: ${outcome.dir}`);
  console.log(`runs: ${outcome.runs} merged from ${(argv.shards as string[]).length} shards`);
  return EXIT.ok;
});
