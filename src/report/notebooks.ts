/**
 * Running the Jupyter notebooks (notebooks/*.ipynb, Python: pandas + altair) headless with nbclient, in the
 * project's own Python environment notebooks/.venv made from notebooks/requirements.txt (pinned).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, clip, PROJECT_ROOT } from '../experiment/config.js';

export const NOTEBOOKS = join(PROJECT_ROOT, 'notebooks');
export const VENV_PYTHON = join(NOTEBOOKS, '.venv', 'bin', 'python');

/** The venv's python, made (python3 -m venv + pip install -r requirements.txt) when missing and `create` is set. */
export function notebookPython(o: { create: boolean; log?: (line: string) => void }): string | undefined {
  if (existsSync(VENV_PYTHON)) return VENV_PYTHON;
  if (!o.create) return undefined;
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', join(NOTEBOOKS, '.venv')]],
    [VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', '-r', join(NOTEBOOKS, 'requirements.txt')]],
  ];
  for (const [cmd, args] of steps) {
    o.log?.(`${cmd} ${args.join(' ')}`);
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 30 * 60_000, killSignal: 'SIGKILL' });
    if (r.status !== 0) throw new Error(`making the notebooks' Python environment failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
  }
  return VENV_PYTHON;
}

export interface NotebookTargets {
  run?: string;
  figures?: string;
}

/** Sorts folders into a run folder (config.resolved.json + episodes.csv) and a figures folder (manifest.json). */
export function classifyFolders(dirs: readonly string[], cwd = process.cwd()): NotebookTargets {
  const t: NotebookTargets = {};
  for (const d of dirs) {
    const abs = resolve(cwd, d);
    const kind = existsSync(join(abs, 'manifest.json')) ? 'figures' : existsSync(join(abs, 'config.resolved.json')) && existsSync(join(abs, 'episodes.csv')) ? 'run' : undefined;
    if (!kind) throw new ConfigError(`${clip(d, 200)}: neither a run folder (config.resolved.json, episodes.csv) nor a figures folder (manifest.json)`);
    if (t[kind] !== undefined) throw new ConfigError(`${clip(d, 200)}: a second ${kind} folder (give at most one run folder and one figures folder)`);
    t[kind] = abs;
  }
  return t;
}

/** Executes the notebooks for the given folders; returns nbclient's exit status and output. */
export function runNotebooks(python: string, t: NotebookTargets, out: string, o: { inherit?: boolean; timeoutMs?: number } = {}): { status: number; output: string } {
  const args = [join(NOTEBOOKS, 'run.py'), '--out', out, ...(t.run ? ['--run', t.run] : []), ...(t.figures ? ['--figures', t.figures] : [])];
  const r = spawnSync(python, args, { cwd: NOTEBOOKS, encoding: 'utf8', stdio: o.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'], timeout: o.timeoutMs ?? 20 * 60_000, killSignal: 'SIGKILL' });
  return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
