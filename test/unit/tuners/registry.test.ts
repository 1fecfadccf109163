import assert from 'node:assert/strict';
import { z } from 'zod';
import { createTuner, isTunerName, TUNER_NAMES, TUNERS } from '../../../src/tuners/registry.js';
import { TunerSetupError } from '../../../src/tuners/tuner.js';

describe('tuner registry', () => {
  it('lists the six baselines, StreamTune and the external (any-language) tuner', () => {
    assert.deepEqual([...TUNER_NAMES].sort(), ['autoscaler', 'conttune', 'dhalion', 'ds2', 'external', 'oracle', 'static', 'streamtune']);
    assert.equal(isTunerName('ds2'), true);
    assert.equal(isTunerName('toString'), false);
  });

  it('every option has a description and a default (the external tuner: all but its command); {} parses', () => {
    for (const name of TUNER_NAMES) {
      const schema = TUNERS[name].options as unknown as z.ZodObject;
      const required = name === 'external' ? ['command'] : [];
      assert.doesNotThrow(() => schema.parse(name === 'external' ? { command: ['x'] } : {}), name);
      for (const [key, field] of Object.entries(schema.shape)) {
        const f = field as z.ZodType;
        assert.ok(f.description && f.description.length > 10, `${name}.${key} has no description`);
        if (required.includes(key)) assert.notEqual(f.def.type, 'default', `${name}.${key} is required`);
        else assert.ok(f.def.type === 'default' || (name === 'external' && key === 'cwd'), `${name}.${key} has no default`);
      }
      assert.ok(TUNERS[name].doc.length > 10);
      assert.doesNotThrow(() => z.toJSONSchema(schema), `${name}: options must be representable as JSON Schema`);
    }
  });

  it('createTuner parses options, rejects unknown tuners and unknown or invalid options', () => {
    assert.equal(createTuner('ds2').name, 'ds2');
    assert.equal(createTuner('autoscaler', { profile: 'time-scaled' }).name, 'autoscaler');
    assert.throws(() => createTuner('nope'), (e: unknown) => e instanceof TunerSetupError && /unknown tuner 'nope'/.test(e.message));
    assert.throws(() => createTuner('ds2', { overprovisioning: 1 }), (e: unknown) => e instanceof TunerSetupError && /ds2/.test(e.message));
    assert.throws(() => createTuner('conttune', { alpha: -1 }), TunerSetupError);
  });
});
