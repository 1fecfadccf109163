/** `npm run notebooks -- <run folder> [<figures folder>] [--out dir]`: executes the notebooks headless (nbclient). */
import { join } from 'node:path';
import { classifyFolders, notebookPython, runNotebooks } from '../report/notebooks.js';
import { command, guard } from './common.js';

const argv = command(
  'notebooks',
  '$0 <folders..> [options]\n\nExecutes notebooks/*.ipynb headless against a run folder (explore-run) and/or a figures folder (figures-*), in notebooks/.venv (made from notebooks/requirements.txt on first use). Exit 1 when a cell fails.',
)
  .command('$0 <folders..>', 'run the notebooks')
  .positional('folders', { type: 'string', array: true, describe: 'a run folder (results/<name>/<run-id>) and/or a figures folder (results/paper/figures)' })
  .option('out', { type: 'string', describe: 'where the executed notebooks go (default: <first folder>/notebooks)' })
  .parseSync();

await guard(async () => {
  const folders = argv.folders as string[];
  const targets = classifyFolders(folders);
  const python = notebookPython({ create: true, log: (l) => console.log(`making the Python environment: ${l}`) }) as string;
  const out = argv.out ?? join(targets.figures ?? (targets.run as string), 'notebooks');
  return runNotebooks(python, targets, out, { inherit: true }).status;
});
