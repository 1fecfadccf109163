import assert from 'node:assert/strict';
import { claimData, claimMarkdown, degreesOf, timelyClaim, type ClaimSet } from '../../../src/report/timely-claim.js';
import { parseEpisode, type EpisodeResult } from '../../../src/loop/rows.js';

const row = (tuner: string, episode: number, final: string, outcome = 'sustained', reconfigurations = 1): EpisodeResult => parseEpisode({
  tuner,
  seed: '1',
  episode: String(episode),
  outcome,
  reconfigurations: String(reconfigurations),
  finalParallelism: final,
  parallelismOverOracle: outcome === 'sustained' ? '1.1' : '',
});

describe('the Timely claim table', () => {
  it('reads the sum of p_v and W from the final configuration', () => {
    assert.deepEqual(degreesOf(row('x', 0, 'source=1;bids=4;sink=2')), { degrees: 7, workers: 4 });
    assert.throws(() => degreesOf({ finalParallelism: '' }), /without a final parallelism/);
  });

  it('StreamTune (placement) against DS2 (workers) over the episodes both sustained; up to = the best episode', () => {
    const sets: ClaimSet[] = [
      { workload: 'q5', mode: 'workers', engine: 'sim', episodes: [row('ds2', 0, 'a=4;b=4;c=1'), row('ds2', 1, 'a=8;b=8;c=1'), row('ds2', 2, 'a=2;b=2;c=1', 'violated')] },
      { workload: 'q5', mode: 'placement', engine: 'sim', episodes: [row('streamtune', 0, 'a=1;b=4;c=1', 'sustained', 3), row('streamtune', 1, 'a=2;b=8;c=1'), row('streamtune', 2, 'a=1;b=1;c=1')] },
    ];
    const data = claimData(sets);
    const st = data.find((d) => d.tuner === 'streamtune');
    const ds2 = data.find((d) => d.tuner === 'ds2');
    // Paired: episodes 0 and 1 (DS2 violated episode 2): 1 - (6 + 11) / (9 + 17) = 9 / 26; the best, episode 1: 1 - 11/17.
    assert.equal(st?.pairedEpisodes, 2);
    assert.ok(Math.abs((st?.reductionVsDs2 as number) - 9 / 26) < 1e-12);
    assert.ok(Math.abs((st?.reductionVsDs2Max as number) - (1 - 11 / 17)) < 1e-12);
    assert.equal(st?.degrees, (6 + 11 + 3) / 3);
    assert.equal(st?.workers, (4 + 8 + 1) / 3);
    assert.equal(st?.reconfigurations, 5 / 3);
    assert.equal(ds2?.sustainedShare, 2 / 3);
    assert.equal(ds2?.reductionVsDs2, null);
    const md = claimMarkdown(data);
    assert.match(md, /\| q5 \| 6\.7 \/ 4\.3 \| 10\.3 \/ 4\.7 \|/);
    assert.match(md, /34\.6 %, 35\.3 % \| up to 83\.3 % \|/);
    const fig = timelyClaim(sets);
    assert.equal(fig.data.length, 2);
    assert.ok(JSON.stringify(fig.spec).includes('reductionVsDs2'));
  });
});
