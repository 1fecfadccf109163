/**
 * The Python tuner package (python/): its own pytest suite and mypy --strict, in python/.venv. Skipped without the
 * venv, unless REQUIRE_ENGINES=1 (CI), which makes its absence a failure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PYTHON_DIR, requirePython, VENV_PYTHON } from '../helpers/python.js';

describe('python/: the tuner package', function () {
  before(function () {
    requirePython(this);
  });

  it('passes its pytest suite', () => {
    // -p no:cacheprovider: no .pytest_cache in the work tree.
    const r = spawnSync(VENV_PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider'], { cwd: PYTHON_DIR, encoding: 'utf8', timeout: 300_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n');
    assert.equal(r.status, 0, `pytest failed:\n${tail}`);
    assert.match(r.stdout, /\d+ passed/);
    assert.doesNotMatch(r.stdout, /skipped|failed/);
  });

  it('type-checks under mypy --strict', () => {
    const r = spawnSync(VENV_PYTHON, ['-m', 'mypy', '--no-incremental', '--cache-dir', '/dev/null'], { cwd: PYTHON_DIR, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, `mypy:\n${r.stdout}${r.stderr}`);
  });
});
