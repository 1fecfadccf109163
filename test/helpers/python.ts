/**
 * The Python tuner package's environment (python/.venv, made by .ci/run: `python3 -m venv python/.venv` and
 * `pip install ./python[dev]`). Tests that need it skip where it is absent, unless REQUIRE_ENGINES=1 (CI), which
 * makes its absence a failure.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/core/project.js';

export const PYTHON_DIR = join(PROJECT_ROOT, 'python');
export const VENV_PYTHON = join(PYTHON_DIR, '.venv', 'bin', 'python');

let checked: string | undefined | null = null;

/** undefined when the venv has the package and scikit-learn; otherwise why not. */
export function pythonMissing(): string | undefined {
  if (checked !== null) return checked;
  if (!existsSync(VENV_PYTHON)) checked = `no ${VENV_PYTHON} (python3 -m venv python/.venv && python/.venv/bin/pip install './python[dev]')`;
  else {
    const r = spawnSync(VENV_PYTHON, ['-c', 'import streamtune_tuner, sklearn, pytest'], { encoding: 'utf8', timeout: 60_000 });
    checked = r.status === 0 ? undefined : `python/.venv lacks the package or its dev extras: ${(r.stderr ?? '').trim().split('\n').pop()}`;
  }
  return checked;
}

/** In a before(): skip the suite without the venv, or fail under REQUIRE_ENGINES=1. */
export function requirePython(ctx: Mocha.Context): void {
  const why = pythonMissing();
  if (why === undefined) return;
  if (process.env.REQUIRE_ENGINES === '1') throw new Error(`REQUIRE_ENGINES=1 but ${why}`);
  ctx.skip();
}

/** The external tuner's command for one of the package's examples. */
export function exampleCommand(module: 'ds2' | 'capacity_sklearn'): string[] {
  return [VENV_PYTHON, '-m', `streamtune_tuner.examples.${module}`];
}
