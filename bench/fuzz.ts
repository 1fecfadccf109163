/**
 * The config fuzzer of test/unit/experiment/fuzz.test.ts at 1,000 configs (60 of them run end to end): its
 * counts and wall time. `npm run bench fuzz`; FUZZ_CONFIGS, FUZZ_RUNS and FUZZ_SEED override the sizes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzConfigs } from '../test/helpers/config-fuzz.js';
import type { BenchRow } from './simulator.js';

export async function benchFuzz(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-bench-'));
  try {
    const r = fuzzConfigs({
      seed: Number(process.env.FUZZ_SEED ?? 1),
      configs: Number(process.env.FUZZ_CONFIGS ?? 1000),
      runs: Number(process.env.FUZZ_RUNS ?? 60),
      runTimeoutSec: 120,
      maxRunCpuSec: 10,
      dir,
    });
    const problems = [...r.crashes, ...r.badLines, ...r.runs.otherExit, ...r.runs.pastLimit, ...r.runs.stackTraces, ...r.runs.strayFiles];
    for (const p of problems) console.log(`problem: ${p}`);
    return [
      {
        configs: r.configs,
        accepted: r.accepted,
        refused: r.refused,
        'refused by estimate': r.refusedByEstimate,
        'refused for pre-training': r.refusedForTraining,
        'stack traces': r.crashes.length + r.runs.stackTraces.length,
        'unbounded refusals': r.badLines.length,
        'runs end to end': r.runs.started,
        'exit 0': r.runs.exit0,
        'exit 2': r.runs.exit2,
        'other exits': r.runs.otherExit.length,
        'past limit': r.runs.pastLimit.length,
        'stray files': r.runs.strayFiles.length,
        'wall s': r.seconds.toFixed(1),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
