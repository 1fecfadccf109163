import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzConfigs, type FuzzReport } from '../../helpers/config-fuzz.js';

/**
 * Mutated copies of the committed configs (seeded): every one is refused with bounded lines naming the file and
 * the JSON path, or accepted with a work estimate under the limits; a sample runs end to end through the CLI and
 * exits 0 or 2 within its limit, writing only inside its results folder. `npm run bench fuzz` runs 1,000.
 */
describe('config fuzz: every config runs to the end in bounded time or is refused up front', function () {
  this.timeout(240_000);
  let dir = '';
  let report: FuzzReport;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fuzz-'));
    report = fuzzConfigs({ seed: 10, configs: 400, runs: 14, runTimeoutSec: 90, maxRunCpuSec: 5, dir });
    console.log(
      `      ${report.configs} configs: ${report.accepted} accepted, ${report.refused} refused (${report.refusedByEstimate} by the estimate, ${report.refusedForTraining} for pre-training); ` +
        `${report.runs.started} run end to end: ${report.runs.exit0} exit 0, ${report.runs.exit2} exit 2`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('no stack trace: every problem is a ConfigError', () => assert.deepEqual(report.crashes, []));
  it('every refusal is bounded lines naming the file (or flag) and the JSON path', () => assert.deepEqual(report.badLines, []));
  it('both outcomes occur (the mutations reach past validation)', () => {
    assert.ok(report.accepted >= 20 && report.refused >= 20, `${report.accepted} accepted, ${report.refused} refused`);
    assert.ok(report.runs.exit0 >= 5, `${report.runs.exit0} runs finished`);
  });
  it('end to end: exit 0 or 2 only, none past its limit, no stack trace', () => {
    assert.deepEqual(report.runs.otherExit, []);
    assert.deepEqual(report.runs.pastLimit, []);
    assert.deepEqual(report.runs.stackTraces, []);
  });
  it('end to end: nothing written outside the results folder', () => assert.deepEqual(report.runs.strayFiles, []));
});
