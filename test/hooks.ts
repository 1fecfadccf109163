/**
 * Root hooks (package.json "mocha.require"): the suite leaves the temporary folder as it found it.
 *
 * Before the suite, TMPDIR points at a fresh folder of the suite's own, so every os.tmpdir() of the tests and of
 * the processes they start lands there and a leak is attributable (other processes on the machine keep using
 * /tmp, so /tmp's own entry count is reported, not asserted). After the suite, the entries left in that folder
 * fail the run (listed, then removed, so /tmp stays clean even then).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Set at load, before the spec files are loaded: some create their folders in describe() bodies.
const systemTmp = tmpdir();
const before = readdirSync(systemTmp).length;
const suiteTmp = mkdtempSync(join(systemTmp, 'streamtune-lab-test-'));
process.env.TMPDIR = suiteTmp;
// A run whose root afterAll never comes (--dry-run, no test file, a crash) still leaves /tmp clean.
process.on('exit', () => rmSync(suiteTmp, { recursive: true, force: true }));
/** tsx's compile cache (tsx-<uid>), made by every child process under the suite's TMPDIR: a cache, not a leak. */
const CACHE = /^tsx-\d+$/;

export const mochaHooks = {
  afterAll(): void {
    process.env.TMPDIR = systemTmp;
    const left = readdirSync(suiteTmp).filter((e) => !CACHE.test(e));
    rmSync(suiteTmp, { recursive: true, force: true });
    const after = readdirSync(systemTmp).length;
    if (after !== before) console.log(`  note: ${systemTmp} held ${before} entries before the suite and ${after} after (other processes use it too)`);
    if (left.length > 0) throw new Error(`the tests left ${left.length} temporary entries behind (removed now): ${left.slice(0, 20).join(', ')}`);
  },
};
