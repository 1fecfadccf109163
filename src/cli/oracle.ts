/** `npm run oracle -- <config> [--cache-dir dir] [--rate r ...] [--force]`: the measured oracle of an experiment. */
import { duration } from '../experiment/estimate.js';
import { measureOracle } from '../experiment/oracle.js';
import type { RateOutcome } from '../oracle/measure.js';
import { command, EXIT, guard, numberIn } from './common.js';

const argv = command(
  'oracle',
  '$0 <config> [options]\n\nSearches, at each distinct rate of the schedule, the smallest total parallelism that passes the SLO on the configured engine (one SLO check per probe), and caches every probe and the result.',
)
  .command('$0 <config>', 'measure the oracle of an experiment')
  .positional('config', { type: 'string', describe: 'experiment JSON, e.g. configs/flink-synthetic.json' })
  .option('cache-dir', { type: 'string', describe: 'where the records go (default: datasets/oracle/ for a committed real-engine config, else <outputs.dir>/oracle/)' })
  .option('rate', { type: 'string', array: true, coerce: (vs: unknown[]) => vs.map(numberIn('rate', 0, 1e15)), describe: 'only this rate of the schedule (records/s); repeatable' })
  .option('force', { type: 'boolean', default: false, describe: 'measure again even where a record is cached' })
  .parseSync();

const line = (o: RateOutcome): string => {
  const r = o.record;
  const res = r.result ? `total ${r.result.totalParallelism} (passed ${r.result.passes}/${r.result.runs}) ${JSON.stringify(r.result.parallelism)}` : 'no passing configuration found';
  const nb = r.failingNeighbours.map((n) => `${n.dim}-1 passed ${n.passes}/${n.runs}`).join(', ');
  return `  ${Math.round(o.rate)} records/s: ${res}; ${r.status}; ${r.probesUsed} probes in ${duration(r.wallSec)}${nb ? `; failing neighbours: ${nb}` : ''}${o.cached ? ' (cached)' : ''}`;
};

await guard(async () => {
  let where = '';
  const out = await measureOracle({
    config: argv.config as string,
    ...(argv['cache-dir'] !== undefined ? { cacheDir: argv['cache-dir'] } : {}),
    ...(argv.rate !== undefined ? { rates: argv.rate as number[] } : {}),
    force: argv.force,
    onPlan: (p) => console.log(`${p.pending} rate(s) to measure over ${p.targets.length} sweep point(s); at most ~${duration(p.estimateSec)} (budget x one probe)`),
    onProbe: (rate, r, used, budget) =>
      console.log(`    probe ${used}/${budget} at ${Math.round(rate)} records/s: ${JSON.stringify(r.parallelism)} ${r.outcome}${r.violation ? ` (${r.violation})` : ''} [${duration(r.wallSec)}]`),
    onRate: (o) => {
      if (o.where !== where) console.log((where = o.where));
      console.log(line(o));
      console.log(`    -> ${o.file}`);
    },
  });
  const failed = out.filter((o) => !o.record.result);
  console.log('measured oracle: the smallest configuration found that passed, with its largest failing neighbours; not a proof of minimality');
  return failed.length > 0 ? EXIT.runFailed : EXIT.ok;
});
