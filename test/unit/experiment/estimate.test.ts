import assert from 'node:assert/strict';
import { validateExperiment } from '../../../src/experiment/config.js';
import { estimateWork, overLimits } from '../../../src/experiment/estimate.js';
import { buildWorkload } from '../../../src/workloads/index.js';

/** The work estimate of a WordCount config under ContTune's protocol at `levels` rate levels, for some tuners. */
function estimate(levels: number, tuners: Record<string, object>): ReturnType<typeof estimateWork> {
  const x = validateExperiment({ name: 'e', workload: { kind: 'wordcount' }, rates: { kind: 'permutation', levels }, tuners, seeds: [1] }, 'e.json');
  return estimateWork([{ experiment: x, workload: buildWorkload(x.workload) }]);
}

describe('work estimate', () => {
  it("grows with the square of the run's length for a tuner that re-reads its history (ContTune), linearly for DS2", () => {
    const ct = estimate(100, { conttune: {} }).cpuSec / estimate(50, { conttune: {} }).cpuSec;
    const ds2 = estimate(100, { ds2: {} }).cpuSec / estimate(50, { ds2: {} }).cpuSec;
    assert.ok(ct > 3.5 && ct < 4.2, `ContTune x${ct.toFixed(2)} for twice the windows`);
    assert.ok(ds2 > 1.9 && ds2 < 2.1, `DS2 x${ds2.toFixed(2)} for twice the windows`);
  });
  it('refuses the 1,000-level WordCount comparison that ran for hours (without --allow-large)', () => {
    const e = estimate(1000, { ds2: {}, conttune: {}, autoscaler: {}, dhalion: {}, oracle: {} });
    assert.match(overLimits(e), /of CPU > 6\.0 h/);
    assert.equal(overLimits(estimate(1000, { ds2: {}, autoscaler: {}, dhalion: {}, oracle: {} })), '', 'without ContTune it fits');
  });
  it("StreamTune's decide() cost stops growing at its fine-tuning budget", () => {
    const a = estimate(50, { streamtune: {} }).cpuSec;
    const b = estimate(100, { streamtune: {} }).cpuSec;
    assert.ok(b / a > 1.9 && b / a < 2.2, `x${(b / a).toFixed(2)}`);
  });
});
