/**
 * Every registered tuner passes the tuner contract, and so do the Python package's examples through the external
 * tuner (skipped without python/.venv, a failure under REQUIRE_ENGINES=1). The Python DS2 decides exactly as the
 * built-in DS2 on every contract scenario: kinds, parallelisms and reasons.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createTuner, TUNER_NAMES } from '../../src/tuners/registry.js';
import { exampleCommand, pythonMissing, requirePython } from '../helpers/python.js';
import { comparable, CONTRACT_SCENARIOS, runScenario, tunerContract, withoutIo } from './tuner-contract.js';

for (const name of TUNER_NAMES.filter((n) => n !== 'external'))
  tunerContract({ name, available: () => undefined, make: () => createTuner(name), builtIn: true });

const external = (module: 'ds2' | 'capacity_sklearn', options: Record<string, unknown> = {}) => () =>
  createTuner('external', { command: exampleCommand(module), options }, `${module}-python`);

tunerContract({ name: 'external: Python DS2 (streamtune_tuner.examples.ds2)', available: pythonMissing, make: external('ds2'), builtIn: false });
tunerContract({ name: 'external: scikit-learn capacity model (streamtune_tuner.examples.capacity_sklearn)', available: pythonMissing, make: external('capacity_sklearn'), builtIn: false });

describe('the Python DS2 decides exactly as the built-in DS2', function () {
  before(function () {
    requirePython(this);
  });
  for (const factor of [0, 0.2])
    for (const sc of CONTRACT_SCENARIOS)
      it(`${sc.name}, overProvisioning ${factor}`, async () => {
        const builtIn = await runScenario(createTuner('ds2', { overProvisioning: factor }), sc, 11);
        const python = await runScenario(external('ds2', { overProvisioning: factor })(), sc, 11);
        assert.ok(builtIn.some((r) => r.decision.kind === 'rescale'), 'the scenario makes DS2 rescale');
        assert.deepEqual(comparable(python), comparable(builtIn));
      });
});

describe('the contract itself', () => {
  it("sees a tuner's I/O in decide(): an ES-module import of node:fs and node:child_process throws while it runs", async () => {
    const r = await withoutIo('reader', () => readFileSync('/etc/hostname', 'utf8'));
    assert.deepEqual(r.calls, ['fs.readFileSync']);
    assert.equal(r.value, undefined);
    const p = await withoutIo('spawner', () => spawnSync('true'));
    assert.deepEqual(p.calls, ['child_process.spawnSync']);
    assert.equal(typeof readFileSync('/etc/hostname', 'utf8'), 'string', 'restored afterwards');
  });
});
