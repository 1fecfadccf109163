import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'node:assert';
import { activate, availableBackends, chooseBackend, chooseBackendInfo } from '../../../src/learning/backend.js';

describe('learning/backend', () => {
  it('chooses a working backend, idempotently', async () => {
    const name = await chooseBackend();
    assert.ok(['tensorflow', 'wasm', 'cpu'].includes(name), name);
    assert.equal(tf.getBackend(), name);
    assert.equal(await chooseBackend(), name);
    const info = await chooseBackendInfo();
    assert.equal(info.name, name);
    const y = tf.tidy(() => Array.from(tf.matMul(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[1], [1], [1]])).dataSync()));
    assert.deepEqual(y, [6]);
  });

  it('skips the native packages when they are not installed and falls back', async () => {
    const info = await chooseBackendInfo();
    for (const s of info.skipped) assert.ok(s.reason.length > 0);
    // The wasm binaries load from node_modules (no network), and cpu always works.
    const ok = await availableBackends(['wasm', 'cpu']);
    assert.ok(ok.includes('cpu'));
    assert.equal(tf.getBackend(), info.name, 'availableBackends restores the active backend');
  });

  it('activate reports a reason for a missing optional package instead of throwing', async () => {
    const before = tf.getBackend();
    const r = await activate('tensorflow-gpu');
    if (r !== undefined) assert.match(r, /.+/);
    await tf.setBackend(before);
  });
});
