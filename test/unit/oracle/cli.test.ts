import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';

describe('npm run oracle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oracle-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'q5.json');
  writeFileSync(file, JSON.stringify({ name: 'q5', workload: { kind: 'nexmark', query: 'q5' }, rates: { kind: 'steps', rates: [2, 5], durationSec: 600 }, tuners: { static: {} } }));

  it('measures each rate into the cache folder and says what the result is', () => {
    const r = runCli('src/cli/oracle.ts', [file, '--cache-dir', join(dir, 'cache'), '--rate', '173913'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /173913 records\/s: total \d+ \(passed \d\/\d\)/);
    assert.match(r.stdout, /not a proof of minimality/);
    assert.equal(readdirSync(join(dir, 'cache')).length, 1, 'one rate asked, one record');
  });

  it('a rate that is not in the schedule exits 2 naming the rates', () => {
    const r = runCli('src/cli/oracle.ts', [file, '--cache-dir', join(dir, 'cache'), '--rate', '7'], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: --rate: none of 7 records\/s is a rate of .*\(rates: 173913, 434783\)/);
  });
});
