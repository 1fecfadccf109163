/** History rows of invalid windows: marked, without labels, and left out of what StreamTune learns from. */
import assert from 'node:assert/strict';
import { JobGraph } from '../../../src/core/job.js';
import { ZERO_OPERATOR_METRICS, type Snapshot } from '../../../src/core/metrics.js';
import { metricLabels } from '../../../src/history/labels.js';
import { historyRows, validRow } from '../../../src/history/record.js';
import { historyWindows } from '../../../src/tuners/streamtune/dataset.js';

const job = JobGraph.create({
  name: 'h',
  operators: [
    { id: 'src', type: 'source', cost: 5 },
    { id: 'work', type: 'map', cost: 100 },
    { id: 'out', type: 'sink', cost: 10 },
  ],
  edges: [
    { from: 'src', to: 'work' },
    { from: 'work', to: 'out' },
  ],
});
const parallelism = { src: 1, work: 2, out: 1 };

function snapshot(valid: boolean): Snapshot {
  const busy = valid ? 900 : 0;
  const operators = Object.fromEntries(
    job.operatorIds.map((id) => [id, { ...ZERO_OPERATOR_METRICS, parallelism: parallelism[id as keyof typeof parallelism], busyMsPerSecond: busy, busyMsPerSecondMax: busy, idleMsPerSecond: 1000 - busy, recordsInPerSecond: valid ? 1000 : 0, recordsOutPerSecond: valid ? 1000 : 0, trueProcessingRate: valid ? 1100 : 0, trueOutputRate: valid ? 1100 : 0 }]),
  );
  return { time: 10, windowSeconds: 5, operators, sources: { src: { targetRate: 1000, achievedRate: valid ? 1000 : 0, lagRecords: 0 } }, targetRate: 1000, achievedRate: valid ? 1000 : 0, valid };
}

function rows(window: number, valid: boolean) {
  const s = snapshot(valid);
  return historyRows({ job, run: 'r', seed: 1, episode: 0, window, snapshot: s, parallelism, labelMetric: metricLabels(job, s) });
}

describe('history: invalid windows', () => {
  it('are marked in the valid column, with no metric label', () => {
    const bad = rows(1, false);
    assert.deepEqual(
      bad.map((r) => [r.valid, r.labelMetric]),
      [
        [0, ''],
        [0, ''],
        [0, ''],
      ],
    );
    assert.ok(rows(2, true).every((r) => r.valid === 1 && (r.labelMetric === 0 || r.labelMetric === 1)));
  });

  it('are left out of the windows StreamTune trains on; files without the column are all valid', () => {
    const all = [...rows(1, true), ...rows(2, false), ...rows(3, true)];
    assert.deepEqual(
      historyWindows(all).map((w) => w.key),
      ['r|1|0|1', 'r|1|0|3'],
    );
    const old = all.map(({ valid: _valid, ...r }) => r);
    assert.equal(historyWindows(old).length, 3);
    assert.equal(validRow({ valid: '' }), true);
    assert.equal(validRow({ valid: '0' }), false);
  });
});
