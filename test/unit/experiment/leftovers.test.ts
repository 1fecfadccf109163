/** A run keeps its deployment's leftovers in a file from deploy until stop (what a resumed run reclaims). */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment, Engine } from '../../../src/engines/engine.js';
import { keepingLeftovers } from '../../../src/experiment/runs.js';

function fakeEngine(leftovers: boolean): { engine: Engine; stopped: () => number } {
  let stops = 0;
  const deployment = {
    parallelism: { a: 3 },
    maxOperatorParallelism: 4,
    observe: () => Promise.reject(new Error('not used')),
    advance: () => Promise.resolve(),
    rescale: () => Promise.reject(new Error('not used')),
    setRate: () => Promise.resolve(),
    now: () => 7,
    stop: () => {
      stops++;
      return Promise.resolve();
    },
    ...(leftovers ? { leftovers: () => ({ engine: 'fake', job: 'j-1' }) } : {}),
  } satisfies Deployment;
  const engine: Engine = {
    kind: 'fake',
    capabilities: { groundTruth: false, parallelDeployments: false, inPlaceRescale: true, sharedWorkers: false },
    deploy: () => Promise.resolve(deployment),
    close: () => Promise.resolve(),
  };
  return { engine, stopped: () => stops };
}

describe('experiment: leftovers of a run', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'leftovers-test-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes them when the deployment starts and removes them when it stops', async () => {
    const file = join(dir, 'runs', 'p0-x-s1', 'leftovers.json');
    const f = fakeEngine(true);
    const engine = keepingLeftovers(f.engine, file);
    assert.equal(engine.kind, 'fake');
    const d = await engine.deploy({} as never, {}, 1);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { engine: 'fake', job: 'j-1' });
    assert.deepEqual(d.parallelism, { a: 3 }, 'the deployment reads through');
    assert.equal(d.maxOperatorParallelism, 4);
    assert.equal(d.now(), 7);
    await d.stop();
    assert.equal(f.stopped(), 1);
    assert.equal(existsSync(file), false);
  });

  it('writes nothing for a deployment that leaves nothing behind', async () => {
    const file = join(dir, 'leftovers.json');
    const d = await keepingLeftovers(fakeEngine(false).engine, file).deploy({} as never, {}, 1);
    assert.equal(existsSync(file), false);
    await d.stop();
  });
});
