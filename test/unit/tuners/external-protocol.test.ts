import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../src/core/project.js';
import { Rng } from '../../../src/core/random.js';
import { decideRequest, prepareRequest, protocolSchemaTexts, response } from '../../../src/tuners/external/protocol.js';
import { checkedParallelism, create, decideRequestOf, type ExternalOptions } from '../../../src/tuners/external/index.js';
import { chain, plant, viewOf } from '../../fixtures/snapshots.js';

const DIR = join(PROJECT_ROOT, 'schema', 'tuner-protocol');
const job = chain('c', { id: 'src', type: 'source', maxParallelism: 4 }, { id: 'agg', type: 'keyedAggregate', maxParallelism: 16 }, 'sink:sink');

/** A tuner in a few lines of Python (system python3, standard library only): answers rescale agg=2, then keep. */
const ECHO = `
import json, sys
n = 0
for line in sys.stdin:
    m = json.loads(line)
    t = m["type"]
    if t == "hello": out = {"type": "hello", "protocol": 1}
    elif t == "prepare": out = {"type": "ready"}; seen = m
    elif t == "decide":
        n += 1
        out = {"type": "rescale", "parallelism": {"agg": 2}, "reason": "seed %d, episode %d, lag %s" % (seen["seed"], m["episode"], m["view"]["snapshot"]["sources"]["src"]["lagRecords"])} if n == 1 else {"type": "keep", "reason": "options " + json.dumps(seen["options"])}
    else: out = {"type": "bye"}
    print(json.dumps(out), flush=True)
    if t == "close": break
`;

describe('tuner protocol: message schemas', () => {
  it('schema/tuner-protocol/ holds exactly the schemas generated from protocol.ts (run `npm run schema` after changing a message type)', () => {
    const texts = protocolSchemaTexts();
    assert.deepEqual(readdirSync(DIR).sort(), Object.keys(texts).sort());
    for (const [file, text] of Object.entries(texts)) assert.ok(readFileSync(join(DIR, file), 'utf8') === text, `${file} is stale: run \`npm run schema\``);
  });

  it('what the harness sends parses with its own request types', () => {
    const s = plant(job, { capacity: { src: 1e9, agg: 100, sink: 1e9 } }, 300, { src: 1, agg: 1, sink: 1 }, 10);
    const req = decideRequestOf({ ...viewOf({ job, snapshot: s }), lastRescale: { requested: { src: 1, agg: 9, sink: 1 }, running: { src: 1, agg: 1, sink: 1 }, tookEffect: false } }, 1, 0);
    assert.ok(decideRequest.safeParse(JSON.parse(JSON.stringify(req))).success);
    assert.ok(prepareRequest.safeParse({ type: 'prepare', job: job.toSpec(), options: {}, seed: 7, engine: 'simulator' }).success);
  });

  it('a non-finite metric goes on the wire as null (JSON has no Infinity)', () => {
    const s = plant(job, { capacity: { src: 1e9, agg: 100, sink: 1e9 } }, 300, { src: 1, agg: 1, sink: 1 }, 10);
    const bad = { ...s, operators: { ...s.operators, agg: { ...(s.operators.agg as never as Record<string, number>), trueProcessingRate: Infinity } } } as never;
    const req = decideRequestOf(viewOf({ job, snapshot: bad }), 1, 0);
    assert.equal(req.view.snapshot.operators.agg?.trueProcessingRate, null);
  });

  it('refuses an answer with an unknown type or a missing reason', () => {
    assert.equal(response.safeParse({ type: 'scale', parallelism: {} }).success, false);
    assert.equal(response.safeParse({ type: 'keep' }).success, false);
    assert.equal(response.safeParse({ type: 'rescale', parallelism: { a: 2 }, reason: 'r' }).success, true);
  });

  it('checks a rescale against the job: known operators, integers within [1, max], the rest kept', () => {
    const cur = { src: 1, agg: 3, sink: 1 };
    assert.deepEqual(checkedParallelism(job, cur, { agg: 5 }), { next: { src: 1, agg: 5, sink: 1 } });
    assert.match((checkedParallelism(job, cur, { agg: 17 }) as { error: string }).error, /parallelism 17 is not an integer within \[1, 16\]/);
    assert.match((checkedParallelism(job, cur, { agg: 2.5 }) as { error: string }).error, /2\.5/);
    assert.match((checkedParallelism(job, cur, { agg: 0 }) as { error: string }).error, /parallelism 0/);
    assert.match((checkedParallelism(job, cur, { nope: 2 }) as { error: string }).error, /unknown operator 'nope'/);
  });
});

describe('external tuner: one exchange with a child process', () => {
  it('sends the seed, options and views; turns the answers into decisions; the process is gone after close', async () => {
    const opts: ExternalOptions = { command: ['python3', '-c', ECHO], options: { k: 1 }, timeoutSec: 10, startTimeoutSec: 10 };
    const t = create(opts, 'echo') as ReturnType<typeof create> & { pid?: number };
    const rng = new Rng(5);
    await t.prepare?.(job, { rng, engineKind: 'plant' });
    const pid = t.pid as number;
    assert.ok(pid > 0);
    try {
      t.startEpisode?.(300);
      const s = plant(job, { capacity: { src: 1e9, agg: 100, sink: 1e9 } }, 300, { src: 1, agg: 1, sink: 1 }, 10);
      const d1 = await t.decide(viewOf({ job, snapshot: s }));
      assert.equal(d1.kind, 'rescale');
      assert.deepEqual(d1.kind === 'rescale' && d1.parallelism, { src: 1, agg: 2, sink: 1 });
      assert.equal(d1.reason, `seed ${rng.seed}, episode 0, lag ${s.sources.src?.lagRecords}`);
      const d2 = await t.decide(viewOf({ job, snapshot: s, parallelism: { src: 1, agg: 2, sink: 1 } }));
      assert.deepEqual(d2, { kind: 'keep', reason: 'options {"k": 1}' });
    } finally {
      await t.close?.();
    }
    assert.equal(t.pid, undefined);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});
