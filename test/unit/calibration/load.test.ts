/**
 * Real measurements on a loaded machine: calibrate and fidelity refuse to start above the load threshold unless
 * forced, and a forced run is marked as measured on a loaded machine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGate, loadLine, watchLoad } from '../../../src/calibration/load.js';
import { runCli } from '../../helpers/cli.js';

describe('the machine load of real measurements', () => {
  it('refuses above the threshold, starts at or below it, and with --force starts and says it is marked loaded', () => {
    const refused = loadGate(4.3, 2, false);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /refusing to measure: load average 4\.30 is above 2 .*--force/);
    assert.equal(loadGate(2, 2, false).ok, true);
    const forced = loadGate(4.3, 2, true);
    assert.equal(forced.ok, true);
    assert.match(forced.message, /marked as measured on a loaded machine/);
  });

  it('a run started above the threshold is marked loaded, and its line says so; below it is not', () => {
    const loaded = watchLoad(-1).stop();
    assert.equal(loaded.loaded, true);
    assert.match(loadLine(loaded), /MEASURED ON A LOADED MACHINE/);
    assert.equal(loaded.loadAverageAtStart.length, 3);
    assert.ok(loaded.otherCpuSeconds === null || loaded.otherCpuSeconds >= 0);
    const quiet = watchLoad(1e9, () => 0).stop();
    // With a frozen clock no time passes: nothing can count as other processes' share.
    assert.equal(quiet.otherCores, null);
    assert.equal(quiet.loaded, false);
    assert.doesNotMatch(loadLine(quiet), /LOADED/);
  });

  for (const script of ['src/cli/calibrate.ts', 'bench/fidelity.ts'])
    it(`${script} refuses a machine above --max-load without --force: exit 2, one line, nothing measured or written`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'load-'));
      try {
        const r = runCli(script, ['--max-load', '0', ...(script.includes('fidelity') ? ['--out', join(dir, 'out')] : ['--profile', 'load-test-refused'])], dir);
        assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr.trim(), /^error: refusing to measure: load average \d+\.\d\d is above 0 /);
        assert.equal(r.stderr.trim().split('\n').length, 1);
        assert.deepEqual(readdirSync(dir), []);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
