/** `npm run replay -- <run dir or history.csv> --tuner <name, kind or JSON entry> [--run key] [--out file]` */
import { dirname, join } from 'node:path';
import { writeCsv } from '../io/files.js';
import { readReplaySource, replay, REPLAY_COLUMNS, replayTable, replayTuner } from '../experiment/replay.js';
import { command, EXIT, guard } from './common.js';

const argv = command(
  'replay',
  "$0 <run dir or history.csv> --tuner <tuner> [options]\n\nA tuner's decisions window by window on a run's recorded snapshots, beside what was decided in the run: a CSV and a short table. No engine runs.",
)
  .command('$0 <source>', 'replay a tuner')
  .positional('source', { type: 'string', describe: 'a run folder (results/<name>/<run-id>) or a history.csv' })
  .option('tuner', { type: 'string', demandOption: true, describe: 'a tuner of the run (its name), a tuner kind (ds2), or a JSON entry (\'{"kind": "ds2", "overProvisioning": 0.1}\')' })
  .option('run', { type: 'string', describe: 'replay only this run (its key, e.g. p0-ds2-s1); default: every run in the file' })
  .option('out', { type: 'string', describe: 'the CSV to write (default: replay-<tuner>.csv beside history.csv)' })
  .parseSync();

await guard(async () => {
  const source = await readReplaySource(argv.source as string, argv.run);
  const entry = replayTuner(argv.tuner, source.entries);
  const result = await replay(source, entry);
  const out = argv.out ?? join(dirname(source.history), `replay-${entry.name}.csv`);
  writeCsv(out, REPLAY_COLUMNS, result.rows);
  console.log(replayTable(result, entry));
  console.log(`\nwrote ${out}`);
  return EXIT.ok;
});
