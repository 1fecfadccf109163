/** Machine profiles: built-in linear, files checked term by term, selected by name from an experiment config. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINEAR, PHYSICS_TERMS } from '../../../src/engines/simulator/physics.js';
import { checkTerms, loadProfile, ProfileError } from '../../../src/engines/simulator/profile.js';
import { simulatorConfig, simulatorTerms } from '../../../src/engines/registry.js';

describe('simulator machine profiles', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'profile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, terms: unknown): void => writeFileSync(join(dir, `${name}.json`), JSON.stringify({ profile: name, terms }));
  const full = () => ({ ...structuredClone(LINEAR), cores: 2, subtaskOverheadMs: 3 }) as Record<string, unknown>;

  it('linear is built in and is the uncalibrated model', () => {
    assert.deepEqual(loadProfile('linear'), LINEAR);
    assert.equal(LINEAR.coordinationOverhead, 0.01);
    assert.equal(LINEAR.cores, null);
  });

  it('reads a complete profile file', () => {
    write('ok', full());
    const t = loadProfile('ok', dir);
    assert.equal(t.cores, 2);
    assert.equal(t.subtaskOverheadMs, 3);
  });

  it('refuses a profile with a missing term, naming it', () => {
    for (const term of PHYSICS_TERMS) {
      const t = full();
      delete t[term];
      write('missing', t);
      assert.throws(() => loadProfile('missing', dir), (e: Error) => e instanceof ProfileError && e.message.includes(`missing term '${term}'`));
    }
    const t = full();
    delete (t.exchange as Record<string, unknown>).broadcast;
    assert.throws(() => checkTerms(t, 'p'), /missing term 'exchange.broadcast'/);
    const u = full();
    delete ((u.exchange as Record<string, Record<string, unknown>>).hash as Record<string, unknown>).deserializeUs;
    assert.throws(() => checkTerms(u, 'p'), /missing term 'exchange.hash.deserializeUs'/);
    const v = full();
    delete (v.timelyExchange as Record<string, unknown>).perBatchUs;
    assert.throws(() => checkTerms(v, 'p'), /missing term 'timelyExchange.perBatchUs'/);
  });

  it('refuses a profile with an unknown term, naming it', () => {
    write('unknown', { ...full(), corez: 4 });
    assert.throws(() => loadProfile('unknown', dir), /unknown term 'corez' \(expected coordinationOverhead, /);
    const t = full();
    (t.exchange as Record<string, unknown>).shuffle = { serializeUs: 1, perBufferUs: 0, deserializeUs: 0, receivePerBufferUs: 0, perChannelUs: 0 };
    assert.throws(() => checkTerms(t, 'p'), /unknown term 'exchange.shuffle'/);
  });

  it('refuses a term of the wrong type or out of range, and a missing or non-profile file', () => {
    assert.throws(() => checkTerms({ ...full(), cores: -1 }, 'p'), /term 'cores' must be a number/);
    assert.throws(() => checkTerms({ ...full(), keySkew: 'yes' }, 'p'), /term 'keySkew' must be true or false/);
    assert.throws(() => checkTerms({ ...full(), bufferBytes: 0 }, 'p'), /term 'bufferBytes' must be a number/);
    assert.throws(() => checkTerms({ ...full(), bufferTimeoutMs: -1 }, 'p'), /term 'bufferTimeoutMs' must be a number/);
    assert.throws(() => loadProfile('absent', dir), /simulator profile 'absent': no such profile/);
    writeFileSync(join(dir, 'q5.json'), JSON.stringify({ query: 'q5', operators: {} }));
    assert.throws(() => loadProfile('q5', dir), /no "terms" object/);
  });

  it('an experiment selects a profile by name; unknown names are refused with the config; keys override terms', () => {
    const bad = simulatorConfig.safeParse({ kind: 'simulator', profile: 'no-such-profile' });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error?.issues), /no-such-profile': no such profile/);
    const c = simulatorConfig.parse({ kind: 'simulator', cores: 8, bufferTimeoutMs: 10, exchange: { hash: { serializeUs: 1, perBufferUs: 3 } } });
    assert.equal(c.profile, 'linear');
    const t = simulatorTerms(c);
    assert.equal(t.cores, 8);
    assert.equal(t.coordinationOverhead, 0.01);
    assert.equal(t.bufferTimeoutMs, 10);
    assert.deepEqual(t.exchange.hash, { serializeUs: 1, perBufferUs: 3, deserializeUs: 0, receivePerBufferUs: 0, perChannelUs: 0 });
    assert.deepEqual(t.exchange.forward, { serializeUs: 0, perBufferUs: 0, deserializeUs: 0, receivePerBufferUs: 0, perChannelUs: 0 });
  });
});

describe('the committed machine profile', () => {
  it('datasets/calibration/profiles/flink-2core.json loads: every term, a finite 2-core machine', () => {
    const t = loadProfile('flink-2core');
    assert.equal(t.cores, 2);
    assert.ok(t.backgroundCores >= 0 && t.backgroundCores < 2);
    assert.equal(t.waitFraction, 0.8);
    assert.ok(simulatorConfig.safeParse({ kind: 'simulator', profile: 'flink-2core' }).success);
  });
});
