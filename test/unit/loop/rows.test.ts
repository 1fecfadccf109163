import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../../../src/io/files.js';
import { EPISODE, EPISODE_COLUMNS, parseEpisode, parseTimeline, readEpisodes, readTimeline, TIMELINE_COLUMNS, writeEpisode, writeTimeline, type EpisodeResult } from '../../../src/loop/rows.js';

const episode: EpisodeResult = {
  run: 'p0-ds2-s1',
  sweep: 'base',
  tuner: 'ds2',
  seed: 1,
  episode: 2,
  targetRate: 12345.678,
  outcome: 'sustained',
  violation: '',
  reconfigurations: 3,
  failedRescales: 0,
  timeToSloSec: 120,
  durationSec: 300,
  finalTotalParallelism: 9,
  oracleTotalParallelism: 8,
  parallelismOverOracle: 1.125,
  oracleSource: 'ground truth',
  lagTrend: undefined,
  lagStartRecords: 0,
  lagEndRecords: 1.5e-7,
  lagEndSec: 0,
  lagPeakRecords: 1234567.8,
  lagIntegralRecordSec: 9.8765432e12,
  downtimeSec: 4,
  failovers: 0,
  invalidWindows: 0,
  finalParallelism: 'source=1;bids=4,"q";sink=2',
};

describe('the result column table', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rows-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the CSV columns in the table order and reads back the same typed values, the file byte-identical', () => {
    const file = join(dir, 'episodes.csv');
    const text = toCsv(EPISODE_COLUMNS, [writeEpisode(episode)]);
    assert.equal(text.split('\n')[0], EPISODE_COLUMNS.join(','));
    writeFileSync(file, text);
    const [back] = readEpisodes(file);
    assert.deepEqual(back, episode);
    assert.equal(toCsv(EPISODE_COLUMNS, readEpisodes(file).map(writeEpisode)), text);
  });

  it('an absent optional number is an empty cell and reads back as undefined; a required one reads as NaN', () => {
    const cells = writeEpisode({ ...episode, parallelismOverOracle: undefined, oracleTotalParallelism: undefined });
    assert.equal(cells.parallelismOverOracle, '');
    assert.equal(cells.oracleTotalParallelism, '');
    const back = parseEpisode({ tuner: 'ds2', reconfigurations: '', parallelismOverOracle: '' });
    assert.equal(back.parallelismOverOracle, undefined);
    assert.ok(Number.isNaN(back.reconfigurations), 'a missing count is no zero');
    assert.equal(back.oracleSource, '', 'a column the file lacks reads as an empty cell');
  });

  it('timeline rows of engine events and failures keep their empty cells', () => {
    const row = parseTimeline({ run: 'r', seed: '3', episode: '1', window: '', time: '12.5', targetRate: '100', totalParallelism: '7', event: 'failover' });
    assert.equal(row.window, undefined);
    assert.equal(row.seed, 3);
    const cells = writeTimeline(row);
    assert.deepEqual(Object.keys(cells), [...TIMELINE_COLUMNS]);
    assert.equal(cells.window, '');
    assert.equal(cells.totalParallelism, 7);
    const file = join(dir, 'timeline.csv');
    writeFileSync(file, toCsv(TIMELINE_COLUMNS, [cells]));
    assert.deepEqual(readTimeline(file), [row]);
  });

  it('every column has a type and a line of doc (the notebooks read both)', () => {
    for (const [name, c] of Object.entries(EPISODE)) {
      assert.ok(['text', 'integer', 'number', 'optional number'].includes(c.type), name);
      assert.ok(c.doc.length > 5, name);
    }
  });
});
