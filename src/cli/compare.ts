/** `npm run compare -- <run folder> [<run folder>] [--out dir] [--title text]`: a real engine beside the simulator. */
import { resolve, join } from 'node:path';
import { writeComparison } from '../report/comparison.js';
import { command, EXIT, guard, InputError } from './common.js';

const argv = command(
  'compare',
  '$0 <run folder> [<run folder>] [options]\n\nPer tuner, a real engine beside the simulator (one folder whose sweep runs both, or one folder each): reconfigurations, P / oracle (measured on the real engine, ground truth on the simulator), sustained share, Kendall tau between the engines, and the figure.',
)
  .command('$0 <dirs..>', 'compare engines')
  .positional('dirs', { type: 'string', array: true, describe: 'run folders' })
  .option('out', { type: 'string', describe: 'output folder (default: <first run folder>/comparison)' })
  .option('title', { type: 'string', default: 'Real engine and simulator, per tuner', describe: 'figure title' })
  .check((a) => {
    const n = (a.dirs as string[] | undefined)?.length ?? 0;
    if (n < 1 || n > 2) throw new InputError('give one or two run folders');
    return true;
  })
  .parseSync();

await guard(async () => {
  const dirs = (argv.dirs as string[]).map((d) => resolve(d));
  const out = resolve(argv.out ?? join(dirs[0] as string, 'comparison'));
  console.log(await writeComparison(dirs, out, argv.title));
  console.log(`written: ${out}/comparison.{md,csv,vl.json,svg,png,pdf}`);
  return EXIT.ok;
});
