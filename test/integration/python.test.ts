/**
 * The Python tuner package (python/): its own pytest suite and mypy --strict, in python/.venv. Skipped without the
 * venv, unless REQUIRE_ENGINES=1 (CI), which makes its absence a failure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { exampleCommand, PYTHON_DIR, requirePython, VENV_PYTHON } from '../helpers/python.js';

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

  it('configs/nexmark-q5.json with DS2 and the Python DS2 side by side: episodes.csv and timeline.csv equal apart from the tuner name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds2-python-'));
    try {
      const q5 = JSON.parse(readFileSync(join(PROJECT_ROOT, 'experiments/configs/nexmark-q5.json'), 'utf8')) as Record<string, unknown>;
      delete q5.$schema;
      const file = join(dir, 'q5.json');
      writeFileSync(file, JSON.stringify({ ...q5, tuners: { ds2: {}, 'ds2-python': { kind: 'external', command: exampleCommand('ds2') } }, outputs: { charts: false } }));
      const out = await runExperiment({ config: file, out: join(dir, 'out'), jobs: 2, runId: 'r' });
      assert.deepEqual(out.failed, []);
      for (const f of ['episodes.csv', 'timeline.csv']) {
        const lines = readFileSync(join(out.dir, f), 'utf8').trim().split('\n').slice(1);
        const builtIn = lines.filter((l) => l.split(',')[2] === 'ds2');
        const python = lines.filter((l) => l.split(',')[2] === 'ds2-python').map((l) => l.replaceAll('ds2-python', 'ds2'));
        assert.ok(builtIn.length >= 60, `${f}: ${builtIn.length} rows`);
        assert.deepEqual(python, builtIn, f);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
