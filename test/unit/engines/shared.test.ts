/** The pieces every engine shares: the subtask aggregator and the build-when-stale helper. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWhenStale } from '../../../src/engines/shared/build.js';
import { aggregateSubtasks, operatorMetrics } from '../../../src/engines/shared/metrics.js';

describe('engines/shared: subtask windows to operator metrics', () => {
  // Two subtasks over 10 s (ms): 8 s busy + 2 s blocked, 6000 records in; 4 s busy + 6 s idle, 4000 in.
  const a = { elapsed: 10_000, busy: 8000, backPressured: 2000, idle: 0, recordsIn: 6000, recordsOut: 3000 };
  const b = { elapsed: 10_000, busy: 4000, backPressured: 0, idle: 6000, recordsIn: 4000, recordsOut: 1000 };

  it('averages the ratios, keeps the busiest subtask, sums the rates, and divides by the busy fraction', () => {
    const { metrics: m, elapsedSeconds } = aggregateSubtasks(2, [a, b], { unitsPerSecond: 1000, rates: 'perSubtask' });
    assert.equal(elapsedSeconds, 10);
    assert.equal(m.parallelism, 2);
    assert.equal(m.busyMsPerSecond, 600);
    assert.equal(m.busyMsPerSecondMax, 800);
    assert.equal(m.backPressuredMsPerSecond, 100);
    assert.equal(m.backPressuredMsPerSecondMax, 200);
    assert.equal(m.idleMsPerSecond, 300);
    assert.equal(m.recordsInPerSecond, 1000);
    assert.equal(m.recordsOutPerSecond, 400);
    // 1000 records/s while busy 12 s of 20: 1000 / 0.6
    assert.ok(Math.abs(m.trueProcessingRate - 1000 / 0.6) < 1e-9);
    assert.ok(Math.abs(m.trueOutputRate - 400 / 0.6) < 1e-9);
  });

  it("pools records over the mean window, or sums each subtask's own rate", () => {
    // the second subtask's clock ran 5 s only: 4000 records in 5 s is 800/s on its own clock
    const short = { ...b, elapsed: 5000, idle: 1000 };
    const own = aggregateSubtasks(2, [a, short], { unitsPerSecond: 1000, rates: 'perSubtask' }).metrics;
    assert.equal(own.recordsInPerSecond, 600 + 800);
    const pooled = aggregateSubtasks(2, [a, short], { unitsPerSecond: 1000, rates: 'pooled' }).metrics;
    assert.equal(pooled.recordsInPerSecond, 10_000 / 7.5);
  });

  it('takes the idle time as the rest of the window when it is not measured, and an input rate counted elsewhere', () => {
    const m = aggregateSubtasks(1, [{ elapsed: 2e9, busy: 5e8, backPressured: 5e8, recordsIn: 0, recordsOut: 100 }], { unitsPerSecond: 1e9, rates: 'perSubtask', recordsInPerSecond: 300 }).metrics;
    assert.equal(m.idleMsPerSecond, 500);
    assert.equal(m.recordsInPerSecond, 300);
    assert.equal(m.recordsOutPerSecond, 50);
    assert.equal(m.trueProcessingRate, 300 / 0.25);
  });

  it('leaves out subtasks whose clock did not advance; none left reads as zero at the parallelism', () => {
    const stale = { elapsed: 0, busy: 0, backPressured: 0, recordsIn: 99, recordsOut: 99 };
    assert.equal(aggregateSubtasks(2, [a, stale], { unitsPerSecond: 1000, rates: 'perSubtask' }).metrics.busyMsPerSecond, 800);
    const none = aggregateSubtasks(3, [stale], { unitsPerSecond: 1000, rates: 'pooled' });
    assert.equal(none.elapsedSeconds, 0);
    assert.equal(none.metrics.parallelism, 3);
    assert.equal(none.metrics.recordsInPerSecond, 0);
    assert.equal(none.metrics.trueProcessingRate, 0);
  });

  it('an operator never busy has true rates of 0', () => {
    const m = operatorMetrics({ parallelism: 1, busyMsPerSecond: 0, busyMsPerSecondMax: 0, idleMsPerSecond: 1000, backPressuredMsPerSecond: 0, backPressuredMsPerSecondMax: 0, recordsInPerSecond: 5, recordsOutPerSecond: 5, busyFraction: 0 });
    assert.equal(m.trueProcessingRate, 0);
    assert.equal(m.trueOutputRate, 0);
  });
});

describe('engines/shared: build when stale, under a lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'build-test-'));
    mkdirSync(join(dir, 'target'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A build that appends a line to target/count (so the number of builds is the number of lines). */
  const step = (stale: () => boolean, after?: () => void) => ({
    dir,
    what: 'the test output',
    stale,
    command: [process.execPath, ['-e', "require('fs').appendFileSync('target/count', 'x\\n')"]] as const,
    ...(after ? { after } : {}),
  });
  const builds = (): number => (existsSync(join(dir, 'target', 'count')) ? readFileSync(join(dir, 'target', 'count'), 'utf8').trim().split('\n').length : 0);

  it('builds a stale folder once for concurrent callers, runs the after step, and releases the lock', async () => {
    let afterRuns = 0;
    const s = step(() => !existsSync(join(dir, 'target', 'count')), () => afterRuns++);
    const [x, y] = await Promise.all([buildWhenStale(s), buildWhenStale(s)]);
    assert.equal(builds(), 1);
    assert.equal(afterRuns, 1);
    assert.equal(x, y);
    assert.ok(x.buildSeconds > 0);
    assert.equal(existsSync(join(dir, 'target', '.build.lock')), false);
  });

  it('does not build what is up to date', async () => {
    const r = await buildWhenStale(step(() => false));
    assert.equal(r.buildSeconds, 0);
    assert.equal(builds(), 0);
  });

  it('skips the build when another holder of the lock built it meanwhile', async () => {
    let looks = 0;
    // stale at the first look, built by the time the lock is held
    const r = await buildWhenStale(step(() => looks++ === 0));
    assert.equal(r.buildSeconds, 0);
    assert.equal(builds(), 0);
  });

  it('reports a failed build and tries again on the next call', async () => {
    const failing = { ...step(() => true), command: [process.execPath, ['-e', 'process.exit(3)']] as const };
    await assert.rejects(buildWhenStale(failing), /exit 3/);
    const r = await buildWhenStale(step(() => builds() === 0));
    assert.ok(r.buildSeconds > 0);
    assert.equal(builds(), 1);
  });
});
